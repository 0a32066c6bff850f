"""docs/websockets.md cannot drift: its examples are the example files, and its test snippets pass.

Markers in the page say what each ```python block is:

- ``<!-- example: examples/duck_echo/urls.py -->``: the block is that file, character for character
  (the files are served and tested by tests/examples/, so the page shows code that runs);
- ``<!-- run: <URL conf module> -->``: the block is a test module; its ``test_*`` functions are run
  with that ``ROOT_URLCONF``;
- any other block must at least compile.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from duck.contrib.websockets import WebSocketView
from duck.test import override_settings
from duck.urls import path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "websockets.md"

# A block: an optional marker on the line just before the opening fence.
_BLOCK = re.compile(r"(?:<!-- (?P<kind>example|run): (?P<target>\S+) -->\n)?```python\n(?P<code>.*?)\n```", re.S)


class Quiet(WebSocketView):
    """The ``/ws/quiet`` view of the page's "a view that closes" snippet."""

    RECEIVE_TIMEOUT = 0.5


# The URL conf of that snippet (``<!-- run: tests.test.test_docs_websockets -->``).
urlpatterns = [path("/ws/quiet", Quiet)]


def blocks(kind: str | None) -> list[tuple[str, str]]:
    """(target, code) of the page's python blocks with that marker (None: unmarked ones)."""
    found = [(m["kind"], m["target"], m["code"]) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]
    return [(target, code) for k, target, code in found if k == kind]


def test_the_page_has_its_examples_and_snippets():
    assert [target for target, _ in blocks("example")] == [
        "examples/duck_echo/urls.py",
        "examples/duck_chat/views.py",
        "examples/duck_chat/urls.py",
        "examples/duck_notifications/views.py",
    ]
    assert len(blocks("run")) == 3


@pytest.mark.parametrize(("target", "code"), blocks("example"), ids=lambda value: value[:40])
def test_example_blocks_are_the_example_files(target: str, code: str):
    assert code == (ROOT / target).read_text(encoding="utf-8").rstrip("\n"), (
        f"docs/websockets.md shows an outdated copy of {target}: paste the file into the page again."
    )


@pytest.mark.parametrize("code", [code for _, code in blocks(None)], ids=lambda value: value.split("\n")[0][:40])
def test_other_blocks_compile(code: str):
    compile(code, "docs/websockets.md", "exec")


@pytest.mark.parametrize(("urlconf", "code"), blocks("run"), ids=lambda value: value[:40])
def test_run_blocks_pass(urlconf: str, code: str):
    namespace: dict[str, Any] = {"__name__": "docs_websockets_snippet"}
    exec(compile(code, "docs/websockets.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert tests, "a run block without test functions proves nothing"
    with override_settings(ROOT_URLCONF=urlconf):
        for test in tests:
            if inspect.iscoroutinefunction(test):
                asyncio.run(test())
            else:
                test()
