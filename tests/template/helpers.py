"""Globals and filters named by dotted path in the OPTIONS tests."""

from __future__ import annotations


def shout(value: str) -> str:
    return f"{value.upper()}!"


def greeting() -> str:
    return "hi"
