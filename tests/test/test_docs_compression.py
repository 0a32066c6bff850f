"""The URL conf of docs/compression.md's streaming snippet: its ``ticks`` view, taken from the page.

tests/test/test_docs.py runs the snippet's test with this URL conf and the page's ``settings`` block
(CompressionMiddleware) in force, so the page cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duck.urls import path
from tests.test.test_docs import blocks_of

PAGE = Path(__file__).resolve().parents[2] / "docs" / "compression.md"


def _streaming_snippet() -> dict[str, Any]:
    (block,) = [b for b in blocks_of(PAGE) if b.kind == "run" and b.target == __name__]
    namespace: dict[str, Any] = {"__name__": "docs_compression_snippet"}
    exec(compile(block.code, repr(block), "exec"), namespace)
    return namespace


urlpatterns = [path("/ticks", _streaming_snippet()["ticks"])]
