"""docs/compression.md and the TLS section of docs/deployment.md cannot drift from the code.

Every fenced block carries a marker on the line before it:

- ``<!-- run: <URL conf module> -->`` (python): the block is run; its ``test_*`` functions are called
  with that ``ROOT_URLCONF`` and CompressionMiddleware on. This module is the URL conf of the
  streaming snippet (its ``ticks`` view comes from the page itself);
- ``<!-- run: settings -->`` (python): the block is executed as a settings module and must load;
- ``<!-- test: <path> ... -->``: a test in that file runs the command (the file must exist and
  quote the command or read it from the page);
- ``<!-- excerpt -->``: a piece of a larger file; python excerpts must still compile.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from duck.conf import settings
from duck.urls import path

ROOT = Path(__file__).resolve().parents[2]
COMPRESSION = ROOT / "docs" / "compression.md"
DEPLOYMENT = ROOT / "docs" / "deployment.md"
MIDDLEWARE = ["duck.middleware.compression.CompressionMiddleware"]

_BLOCK = re.compile(r"(?:<!-- (?P<marker>[^>]*?) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)\n```", re.S)


def blocks(text: str) -> list[tuple[str | None, str, str]]:
    return [(m["marker"], m["lang"], m["code"]) for m in _BLOCK.finditer(text)]


def tls_section() -> str:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    start = text.index("### HTTPS and wss:// from duck itself")
    return text[start : text.index("\n### ", start + 1)]


def page_blocks() -> list[tuple[str | None, str, str]]:
    return blocks(COMPRESSION.read_text(encoding="utf-8")) + blocks(tls_section())


def _snippet_namespace(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "docs_compression_snippet"}
    exec(compile(code, "docs/compression.md", "exec"), namespace)
    return namespace


def _run_block() -> str:
    return next(code for marker, _, code in page_blocks() if marker == "run: tests.test.test_docs_compression")


# The URL conf of the streaming snippet: its view, taken from the page.
urlpatterns = [path("/ticks", _snippet_namespace(_run_block())["ticks"])]


@pytest.mark.parametrize(("marker", "lang", "code"), page_blocks(), ids=lambda value: str(value)[:40])
def test_every_block_is_marked(marker: str | None, lang: str, code: str):
    assert marker is not None, f"an unmarked ```{lang} block: mark it run/test/excerpt:\n{code}"
    kind = marker.split(":")[0]
    assert kind in ("run", "test", "excerpt"), marker
    if kind == "test":
        test_file = marker.split()[1]
        assert (ROOT / test_file).is_file(), f"{marker!r} names a missing test file"
    if lang == "python":
        compile(code, "docs", "exec")


def test_the_settings_block_loads_as_settings():
    code = next(code for marker, _, code in page_blocks() if marker == "run: settings")
    values = _snippet_namespace(code)
    with settings.override(ROOT_URLCONF="tests.test.test_docs_compression", MIDDLEWARE=values["MIDDLEWARE"]):
        from duck.core.handler import Handler
        from duck.test import Client

        response = Client(handler=Handler()).get("/ticks", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"  # the middleware the page names did it


def test_the_streaming_snippet_passes():
    tests = [value for name, value in _snippet_namespace(_run_block()).items() if name.startswith("test_")]
    assert tests
    with settings.override(ROOT_URLCONF="tests.test.test_docs_compression", MIDDLEWARE=MIDDLEWARE):
        for test in tests:
            assert not inspect.iscoroutinefunction(test)
            test()
