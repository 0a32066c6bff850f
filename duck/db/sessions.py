"""Sessions: ``get_session()`` in sync code, ``get_async_session()`` in async code.

Both return a session bound to a configured database; use them as context managers so the
session is closed (its connection back in the pool, uncommitted work rolled back) however the
block ends::

    with get_session() as session, session.begin():      # commits at the end of the block
        session.add(Message(text="hi"))

    async with get_async_session() as session:
        messages = (await session.scalars(select(Message))).all()

Objects stay readable after ``commit()`` (``expire_on_commit=False``): async code must never load
attributes implicitly, and sync code is spared a query per attribute after each commit.

Test fixtures (:mod:`duck.db.testing`) can bind these sessions to a connection held in an outer
transaction, so that everything a test writes is rolled back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duck.db.config import DEFAULT_DATABASE
from duck.db.engines import get_async_engine, get_engine
from duck.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
    from sqlalchemy.orm import Session

__all__ = ["get_async_session", "get_session"]

# Connections in a test's outer transaction, by alias: sessions join them through SAVEPOINTs.
_test_connections: dict[str, Connection] = {}
_async_test_connections: dict[str, AsyncConnection] = {}
# A rolled-back test transaction lives on one connection, sync or async: the other kind cannot see it.
_MIXED = (
    "This test holds the database in a transaction rolled back at its end (the {held} fixture), which "
    "{other} cannot see. Use the transactional_db fixture (or async_transactional_db): its writes are "
    "committed for real and every table is emptied after the test."
)


def get_session(alias: str = DEFAULT_DATABASE, **options: Any) -> Session:
    """A new :class:`sqlalchemy.orm.Session` on the sync engine of ``alias``.

    Args:
        alias: a key of ``DATABASES``.
        options: more ``Session`` arguments (``autoflush``, ``info``...).

    Raises:
        ImproperlyConfigured: the database is not configured or its driver is missing.
    """
    from sqlalchemy.orm import Session

    options.setdefault("expire_on_commit", False)
    connection = _test_connections.get(alias)
    if connection is not None:
        return Session(bind=connection, join_transaction_mode="create_savepoint", **options)
    if alias in _async_test_connections:
        raise ImproperlyConfigured(_MIXED.format(held="async_db", other="a sync session (a sync view, get_session())"))
    return Session(bind=get_engine(alias), **options)


def get_async_session(alias: str = DEFAULT_DATABASE, **options: Any) -> AsyncSession:
    """A new :class:`sqlalchemy.ext.asyncio.AsyncSession` on the running loop's async engine of ``alias``.

    Raises:
        RuntimeError: called outside a running event loop.
        ImproperlyConfigured: as :func:`get_session`.
    """
    from sqlalchemy.ext.asyncio import AsyncSession

    options.setdefault("expire_on_commit", False)
    connection = _async_test_connections.get(alias)
    if connection is not None:
        return AsyncSession(bind=connection, join_transaction_mode="create_savepoint", **options)
    if alias in _test_connections:
        raise ImproperlyConfigured(_MIXED.format(held="db", other="an async session (an async view or WebSocket)"))
    return AsyncSession(bind=get_async_engine(alias), **options)
