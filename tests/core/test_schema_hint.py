"""A model ahead of its database (a column or table without its migration): the DEBUG page and the log say
what to run, on SQLite and on PostgreSQL, from sync and async views and from a WebSocket handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duck.contrib.websockets import WebSocketView
from duck.core.schema_hint import schema_behind
from duck.db import dispose_engines, get_async_session, get_session
from duck.db.config import DatabaseConfig
from duck.exceptions import WebSocketDisconnect
from duck.http import HttpResponse
from duck.test import Client, override_settings
from duck.urls import path

COMMANDS = 'duck db makemigrations -m "describe the change"'


class Base(DeclarativeBase):
    """Its own metadata: these models must not join the project-wide ``Model`` tables of other tests."""


class Note(Base):
    """The model, with a column (``text``) the database's table does not have yet."""

    __tablename__ = "hint_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Tag(Base):
    """A model whose table was never created."""

    __tablename__ = "hint_tag"

    id: Mapped[int] = mapped_column(primary_key=True)


def read_notes(request):
    with get_session() as session:
        return HttpResponse(str(session.scalars(select(Note)).all()))


def add_note(request):
    with get_session() as session, session.begin():
        session.add(Note(text="hello"))
    return HttpResponse("added")


async def read_tags(request):
    async with get_async_session() as session:
        return HttpResponse(str((await session.scalars(select(Tag))).all()))


class NotesSocket(WebSocketView):
    async def on_open(self):
        async with get_async_session() as session:
            for note in (await session.scalars(select(Note))).all():
                await self.send_text(note.text)


urlpatterns = [
    path("/notes", read_notes),
    path("/notes/add", add_note),
    path("/tags", read_tags),
    path("/ws/notes", NotesSocket),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def behind(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database whose ``hint_note`` table lacks the model's ``text`` column, and with no ``hint_tag`` table."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(DatabaseConfig("default", url).sync_url())
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE hint_note (id INTEGER PRIMARY KEY)"))  # as the first migration left it
    engine.dispose()
    with override_settings(DATABASES={"default": {"URL": url}}, ROOT_URLCONF=__name__):
        yield request.param


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    import asyncio

    asyncio.run(dispose_engines())


def get(url: str, debug: bool):
    with override_settings(DEBUG=debug), Client() as client:
        return client.get(url)


@pytest.mark.parametrize("url", ["/notes", "/notes/add", "/tags"], ids=["select", "insert", "async-table"])
def test_the_debug_page_says_to_make_and_apply_a_migration(behind, url, caplog):
    with caplog.at_level(logging.WARNING, logger="duck.request"):
        response = get(url, debug=True)
    assert response.status_code == 500
    page = response.text
    hint = page.split('<section class="hint" id="hint">')[1].split("</section>")[0]
    assert "The database is behind your models" in hint
    assert "duck db makemigrations -m &quot;describe the change&quot;\nduck db migrate" in hint
    assert page.index('id="hint"') < page.index('id="where"')  # first thing under the header
    missing = "hint_tag" if url == "/tags" else "text"
    assert missing in hint  # the database's own words say what is missing
    hints = [r.getMessage() for r in caplog.records if "The database is behind the models" in r.getMessage()]
    assert len(hints) == 1 and COMMANDS in hints[0] and "duck db migrate" in hints[0]


def test_with_debug_off_the_page_is_the_plain_500_and_only_the_log_has_the_hint(behind, caplog):
    with caplog.at_level(logging.WARNING, logger="duck.request"):
        response = get("/notes", debug=False)
    assert response.status_code == 500
    assert "makemigrations" not in response.text and "hint_note" not in response.text
    assert '<p class="status">500</p>' in response.text
    assert any(COMMANDS in record.getMessage() for record in caplog.records)


def test_a_websocket_handler_that_fails_so_logs_the_hint(behind, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="duck"),
        Client() as client,
        client.websocket_connect("/ws/notes") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_text(timeout=5)
    assert closed.value.code == 1011  # all the browser learns
    hints = [record.getMessage() for record in caplog.records if COMMANDS in record.getMessage()]
    assert len(hints) == 1, [record.getMessage() for record in caplog.records]
    assert "hint_note" in hints[0] or "text" in hints[0]


def test_other_database_errors_get_no_hint():
    from sqlalchemy.exc import IntegrityError, OperationalError

    unique = IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed: hint_note.id"))
    locked = OperationalError("SELECT ...", {}, Exception("database is locked"))
    assert schema_behind(unique) is None and schema_behind(locked) is None
    assert schema_behind(RuntimeError("no such table: but not from the database")) is None
