"""Every code block in docs/ that is meant to be run is run by a test, or says it is an excerpt.

A marker on the line before a fence says what a block is:

- ``<!-- example: FILE -->``: the block is FILE, character for character (the examples are
  served and tested by tests/examples/);
- ``<!-- module: NAME -->``: Python run as the module NAME (later blocks of the page may import
  it); the page's module blocks run in order, and some pages' behaviour is checked below;
- ``<!-- run: URLCONF -->``: a test module whose ``test_*`` functions run with that ``ROOT_URLCONF``
  (a module of the page, or a project module);
- ``<!-- tutorial: ... -->``: a step of docs/tutorial.md, replayed by test_docs_tutorial.py;
- ``<!-- test: PATH why -->``: a command run by a test in PATH (which reads it from the page);
- ``<!-- page -->``: the page's ``page`` blocks run together, in order, as one module, by the page's
  own test (tests/test/test_docs_<page>.py, which must exist), with what that page needs around them;
- ``<!-- excerpt -->``: a fragment, or a command the suite does not run (installs, deployment).

Blocks without a language (program output) need no marker; every other block needs one.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from duck.test import Client, override_settings
from duck.urls import path

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKER = re.compile(r"^<!-- (?P<kind>example|module|run|tutorial|test|page|excerpt)(?::\s*(?P<target>.*?))?\s*-->$")
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[a-z]*)\n(?P<code>.*?)\n(?P=indent)```$", re.S | re.M)


class Block:
    def __init__(self, page: Path, line: int, lang: str, code: str, kind: str | None, target: str | None) -> None:
        self.page, self.line, self.lang, self.code, self.kind, self.target = page, line, lang, code, kind, target

    def __repr__(self) -> str:
        return f"{self.page.name}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        before = text[:start].rstrip(" ").rsplit("\n", 2)
        marker = MARKER.match(before[-2].strip()) if len(before) >= 2 else None
        code = "\n".join(row[len(match["indent"]) :] for row in match["code"].split("\n"))
        kind, target = (marker["kind"], marker["target"]) if marker else (None, None)
        found.append(Block(page, line, match["lang"], code, kind, target))
    return found


ALL_BLOCKS = [block for page in DOCS for block in blocks_of(page)]


def test_every_code_block_says_what_it_is():
    unmarked = [f"{block!r} ({block.lang})" for block in ALL_BLOCKS if block.lang and block.kind is None]
    assert not unmarked, "mark these blocks (see this module's docstring): " + ", ".join(unmarked)


def test_tutorial_markers_are_only_in_the_tutorial():
    assert {block.page.name for block in ALL_BLOCKS if block.kind == "tutorial"} == {"tutorial.md"}


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.kind == "example"], ids=repr)
def test_example_blocks_are_the_example_files(block: Block):
    assert block.target is not None
    assert block.code == (ROOT / block.target).read_text(encoding="utf-8").rstrip("\n"), (
        f"{block!r} shows an outdated copy of {block.target}: paste the file into the page again."
    )


# -- module blocks: each page's modules run in order ---------------------------------------------
@contextmanager
def page_modules(page: Path) -> Iterator[dict[str, types.ModuleType]]:
    """Run the page's module blocks as modules (importable while the block runs), then forget them."""
    modules: dict[str, types.ModuleType] = {}
    try:
        for block in blocks_of(page):
            if block.kind != "module":
                continue
            assert block.target, f"{block!r}: module needs a name"
            module = types.ModuleType(block.target)
            module.__file__ = f"{page}:{block.line}"
            sys.modules[block.target] = modules[block.target] = module
            exec(compile(block.code, module.__file__, "exec"), module.__dict__)
        yield modules
    finally:
        for name in modules:
            sys.modules.pop(name, None)


PAGES_WITH_MODULES = sorted({b.page for b in ALL_BLOCKS if b.kind == "module"})


@pytest.mark.parametrize("page", PAGES_WITH_MODULES, ids=lambda p: p.name)
def test_module_blocks_run(page: Path):
    with page_modules(page) as modules:
        assert modules


def run_tests_of(code: str, where: str, urlconf: str, page_settings: dict[str, Any]) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_snippet"}
    exec(compile(code, where, "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert tests, f"{where}: a run block without test functions proves nothing"
    with override_settings(**{**page_settings, "ROOT_URLCONF": urlconf}):
        for test in tests:
            if inspect.iscoroutinefunction(test):
                asyncio.run(test())
            else:
                test()


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.kind == "run"], ids=repr)
def test_run_blocks_pass(block: Block):
    """A page's ``settings`` module block, if it has one, is in force while its run blocks run."""
    assert block.target, f"{block!r}: run needs a URL conf"
    with page_modules(block.page) as modules:
        settings_module = modules.get("settings")
        page_settings = {k: v for k, v in vars(settings_module).items() if k.isupper()} if settings_module else {}
        run_tests_of(block.code, repr(block), block.target, page_settings)


@pytest.mark.parametrize("page", sorted({b.page for b in ALL_BLOCKS if b.kind == "page"}), ids=lambda p: p.name)
def test_pages_with_page_blocks_have_their_own_test(page: Path):
    assert (ROOT / "tests" / "test" / f"test_docs_{page.stem}.py").is_file()


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.kind == "test"], ids=repr)
def test_test_blocks_name_a_test_that_exists(block: Block):
    assert block.target, f"{block!r}: test needs the path of the test that runs it"
    assert (ROOT / block.target.split()[0]).is_file(), f"{block!r} names a missing test file"


# -- what some pages' modules promise ---------------------------------------------------------------
def test_views_md_views_and_routes_behave_as_described():
    with page_modules(ROOT / "docs" / "views.md") as modules, override_settings(ROOT_URLCONF=modules["urls"]):
        with Client() as client:
            assert client.get("/").text == "Hello, world"
            assert client.get("/items/3?q=duck").json() == {"id": 3, "q": "duck"}
            assert client.get("/items/101").status_code == 404
        with override_settings(ROOT_URLCONF=modules["item_views"]), Client() as client:
            assert client.get("/items/4").text == "item 4"
            assert client.post("/items/4").status_code == 201
            assert client.delete("/items/4").status_code == 405
        routes = [path("/checksum", modules["upload_views"].checksum)]
        with override_settings(ROOT_URLCONF=routes, SERVER_MAX_BODY_SIZE=10 * 1024 * 1024), Client() as client:
            body = b"x" * (3 * 1024 * 1024)  # above DATA_UPLOAD_MAX_MEMORY_SIZE: read from disk, in pieces
            assert client.post("/checksum", data=body, headers={"content-type": "application/octet-stream"}).text == (
                hashlib.sha256(body).hexdigest()
            )
        middleware = modules["middleware"]
        with override_settings(MIDDLEWARE=[middleware.timing, middleware.sync_header]), Client() as client:
            response = client.get("/")
            assert response["server-timing"].startswith("app;dur=")
            assert response["x-frame-options"] == "DENY"


def test_groups_md_clock_started_by_on_startup_reaches_the_group():
    """ON_STARTUP, which every front door runs (duck's server in each worker, the ASGI lifespan)."""
    from datetime import datetime

    from duck.core.lifecycle import run_startup_hooks
    from duck.test import AsyncClient
    from duck.urls import path
    from duck.utils.asyncio import shutdown_tasks

    with page_modules(ROOT / "docs" / "groups.md") as modules:
        views = modules["clock_views"]
        hooks = modules["clock_settings"].ON_STARTUP

        async def scenario() -> str:
            await run_startup_hooks()
            try:
                async with AsyncClient().websocket_connect("/ws/clock") as ws:
                    return await ws.receive_text(timeout=5)
            finally:
                await shutdown_tasks(timeout=1)

        with override_settings(ON_STARTUP=hooks, ROOT_URLCONF=[path("/ws/clock", views.ClockSocket)]):
            tick = asyncio.run(scenario())
    assert datetime.fromisoformat(tick)
