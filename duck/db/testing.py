"""Tests that leave no trace: each runs inside a transaction that is rolled back at its end.

:func:`rollback_transaction` opens a connection, begins a transaction and routes every session
duck hands out for that database (``get_session()``, ``request.db``) to it; commits in the code
under test become SAVEPOINT releases, so the outer rollback undoes everything, on SQLite and
PostgreSQL alike. :func:`async_rollback_transaction` does the same for async sessions
(``get_async_session()``, ``request.async_db``) on the running loop.

A sync test (the ``db`` fixture, :class:`~duck.test.Client`) exercises sync sessions; an async
test (``async_db``, :class:`~duck.test.AsyncClient`) async ones: the two are different connections,
so one cannot see the other's uncommitted rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from duck.db import sessions
from duck.db.config import DEFAULT_DATABASE
from duck.db.engines import get_async_engine, get_engine

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

__all__ = ["async_rollback_transaction", "create_schema", "rollback_transaction"]


@contextmanager
def rollback_transaction(alias: str = DEFAULT_DATABASE) -> Iterator[Session]:
    """A session in a transaction that is rolled back on exit; every sync session of ``alias`` joins it."""
    from sqlalchemy.orm import Session

    connection = get_engine(alias).connect()
    transaction = connection.begin()
    sessions._test_connections[alias] = connection
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        sessions._test_connections.pop(alias, None)
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@asynccontextmanager
async def async_rollback_transaction(alias: str = DEFAULT_DATABASE) -> AsyncIterator[AsyncSession]:
    """:func:`rollback_transaction` for async sessions, on the running event loop."""
    from sqlalchemy.ext.asyncio import AsyncSession

    connection = await get_async_engine(alias).connect()
    transaction = await connection.begin()
    sessions._async_test_connections[alias] = connection
    session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        await session.close()
        sessions._async_test_connections.pop(alias, None)
        if transaction.is_active:
            await transaction.rollback()
        await connection.close()


def create_schema(alias: str = DEFAULT_DATABASE) -> None:
    """Bring the test database's schema up to date: the project's migrations if it has any, else the models."""
    from duck.db.migrations import load_models, migrate, migrations_dir

    if migrations_dir().is_dir() and any(migrations_dir().glob("*.py")):
        migrate(alias=alias)
    else:
        load_models().create_all(get_engine(alias))
