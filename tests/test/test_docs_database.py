"""docs/database.md cannot drift: its ``<!-- page -->`` blocks, together, are run as a project.

The blocks are executed in order as one module (models, views, a WebSocketView, tests); this test
adds the URL conf, creates the tables in a temporary SQLite database, runs the page's test
functions with the ``db`` / ``async_db`` transactions they ask for, and drives the WebSocket view.
Every other python block must at least compile.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
from pathlib import Path

import pytest

from duck.test import Client, override_settings
from tests.test.test_docs import blocks_of

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "database.md"


def blocks(kind: str) -> list[str]:
    return [block.code for block in blocks_of(DOC) if block.kind == kind and block.lang == "python"]


@pytest.mark.parametrize("code", blocks("excerpt"), ids=lambda value: value.split("\n")[0][:40])
def test_other_blocks_compile(code: str):
    compile(code, "docs/database.md", "exec")


@pytest.fixture(scope="module")
def page() -> types.ModuleType:
    module = types.ModuleType("docs_database_page")
    sys.modules[module.__name__] = module
    exec(compile("\n\n".join(blocks("page")), "docs/database.md", "exec"), module.__dict__)
    from duck.urls import path

    module.urlpatterns = [
        path("/rooms/<name>", module.room_messages),
        path("/rooms", module.rooms),
        path("/ws/rooms/<name>", module.RoomSocket),
    ]
    return module


@pytest.fixture
def database(page, tmp_path):
    from duck.db import Model, get_engine

    url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    with override_settings(DATABASES={"default": {"URL": url}}, ROOT_URLCONF=page.__name__):
        Model.metadata.create_all(get_engine())
        yield page


def test_the_page_runs_a_project(page):
    assert len(blocks("page")) == 4
    assert [name for name in vars(page) if name.startswith("test_")] == [
        "test_posting_a_message",
        "test_every_test_starts_empty",
        "test_async_views",
    ]


@pytest.mark.parametrize("name", ["test_posting_a_message", "test_every_test_starts_empty"])
def test_sync_test_functions_pass(database, name):
    from duck.db.testing import rollback_transaction

    with rollback_transaction() as session:
        getattr(database, name)(session)


def test_async_test_function_passes(database):
    from duck.db.engines import dispose_async_engines
    from duck.db.testing import async_rollback_transaction

    async def run():
        try:
            async with async_rollback_transaction() as session:
                assert inspect.iscoroutinefunction(database.test_async_views)
                await database.test_async_views(session)
        finally:
            await dispose_async_engines()

    asyncio.run(run())


def test_websocket_view_sends_history_and_saves(database):
    from sqlalchemy import select

    from duck.db import get_session

    with get_session() as session, session.begin():
        room = database.Room(name="lobby")
        session.add(room)
        session.add_all(database.Message(room=room, text=f"m{i}") for i in range(60))
    client = Client()
    with client.websocket_connect("/ws/rooms/lobby") as ws:
        history = ws.receive_json()
        assert history == [f"m{i}" for i in range(10, 60)]
        ws.send_text("new")
        assert ws.receive_text() == "saved"
    client.close()
    database.rename_room("lobby", "hall")
    with get_session() as session:
        assert session.scalar(select(database.Room.name)) == "hall"
        assert session.scalars(select(database.Message.text).order_by(database.Message.id.desc())).first() == "new"
