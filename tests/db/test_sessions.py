"""Sessions outside and inside requests, sync and async, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from duck.db import get_async_session, get_engine, get_session
from duck.db.engines import dispose_engines
from duck.exceptions import RequestSessionClosed
from duck.test import AsyncClient, Client, override_settings
from tests.db import urls
from tests.db.models import Note, Tag


def count() -> int:
    with get_session() as session:
        return session.scalar(select(func.count()).select_from(Note))


def test_get_session_commits_with_begin(database):
    with get_session() as session, session.begin():
        session.add(Note(text="hi"))
    with get_session() as session:
        note = session.scalars(select(Note)).one()
    assert note.text == "hi"


def test_uncommitted_work_is_rolled_back_at_close(database):
    with get_session() as session:
        session.add(Note(text="lost"))
        session.flush()
    assert count() == 0


async def test_get_async_session(database):
    async with get_async_session() as session:
        session.add(Note(text="async"))
        await session.commit()
        assert (await session.scalars(select(Note.text))).all() == ["async"]
    assert count() == 1
    await dispose_engines()


async def test_async_engines_are_per_loop_and_disposed(database):
    from duck.db import get_async_engine

    engine = get_async_engine()
    assert get_async_engine() is engine
    await dispose_engines()
    assert get_async_engine() is not engine  # a disposed loop's engine is forgotten
    await dispose_engines()


def test_sqlite_gets_wal_and_foreign_keys(tmp_path):
    with override_settings(DATABASES={"default": {"URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}"}}):
        with get_engine().connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        get_engine().dispose()


def test_foreign_keys_are_enforced(database):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), get_session() as session, session.begin():
        session.add(Tag(note_id=12345))


def test_savepoints_work(database):
    with get_session() as session, session.begin():
        session.add(Note(text="kept"))
        nested = session.begin_nested()
        session.add(Note(text="dropped"))
        session.flush()
        nested.rollback()
    assert count() == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_request_session_commit_is_kept_and_the_rest_rolled_back(database, kind):
    client = Client()
    assert client.get(f"/{kind}/add", {"text": "a", "commit": "1"}).status_code == 200
    assert client.get(f"/{kind}/add", {"text": "b"}).status_code == 200  # not committed: gone at close
    assert client.get(f"/{kind}/count").json() == {"count": 1}
    client.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_atomic_requests_commit_on_return_and_roll_back_on_error(database, kind):
    with override_settings(ATOMIC_REQUESTS=True):
        client = Client()
        assert client.get(f"/{kind}/add", {"text": "a"}).status_code == 200
        assert client.get(f"/{kind}/add", {"text": "b", "fail": "1"}).status_code == 404
        assert client.get(f"/{kind}/count").json() == {"count": 1}
        client.close()


async def test_async_client_and_async_views(database):
    client = AsyncClient()
    assert (await client.get("/async/add", {"text": "a", "commit": "1"})).status_code == 200
    assert (await client.get("/async/count")).json() == {"count": 1}
    await dispose_engines()


def test_request_session_is_closed_after_the_response(database):
    urls.KEPT.clear()
    client = Client()
    assert client.get("/keep").json() == {"open": True}
    assert get_engine().pool.checkedout() == 0  # the connection went back to the pool
    with pytest.raises(RequestSessionClosed):
        urls.KEPT[0].db  # noqa: B018
    client.close()


def test_requests_that_touch_no_database_open_nothing(database):
    client = Client()
    response = client.get("/own")
    assert response.json() == {"count": 0}
    assert "_duck_db_sessions" not in response.request.__dict__
    client.close()


async def test_driver_connection_is_the_drivers_own(database):
    from duck.db import driver_connection

    async with get_async_session() as session:
        session.add(Note(text="x"))
        await session.commit()
    client = AsyncClient()
    assert (await client.get("/fast/count")).json() == {"count": 1}
    async with driver_connection() as connection:
        kind = type(connection).__module__.split(".")[0]
    assert kind == ("aiosqlite" if database.startswith("sqlite") else "asyncpg")
