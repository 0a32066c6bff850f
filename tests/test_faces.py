"""The package faces users import from: each has an ``__all__`` of public names that all import."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

FACES = ["duck.http", "duck.shortcuts", "duck.urls", "duck.contrib.websockets"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", FACES)
def test_face_has_an_all_of_public_importable_names(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    assert sorted(module.__all__) == module.__all__, f"keep {name}.__all__ sorted"
    for exported in module.__all__:
        assert not exported.startswith("_")
        assert getattr(module, exported) is not None


def test_the_names_users_type_first():
    from duck.exceptions import Http404 as Http404Exception
    from duck.http import Http404, HttpResponse, JsonResponse, Request
    from duck.http.response import HttpResponse as ResponseClass

    assert HttpResponse is ResponseClass and Http404 is Http404Exception
    assert JsonResponse({"a": 1}).content == b'{"a":1}'
    assert Request.__module__ == "duck.http.request"


def test_docs_import_response_names_from_the_face():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"from duck\.http\.(response|request) import", text), page.name
