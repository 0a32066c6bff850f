"""Things the project's views report (a view ended its loop, wait() returned None...), for the tests to await.

A WebSocket client cannot see what a view does after the client has closed; these events let
a test ask the server (over plain HTTP, ``/events/<name>``), under either server.
"""

from __future__ import annotations

import threading

_cond = threading.Condition()
_seen: list[str] = []


def record(event: str) -> None:
    """Note that ``event`` happened (from any thread)."""
    with _cond:
        _seen.append(event)
        _cond.notify_all()


def wait_for(event: str, timeout: float) -> bool:
    """Block until ``event`` was recorded; False after ``timeout`` seconds."""
    with _cond:
        return _cond.wait_for(lambda: event in _seen, timeout)
