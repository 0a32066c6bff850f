"""Tests on databases of their own, that leave no trace.

:func:`databases_for_tests` points every configured database at a test database for the whole test
run, as Django's test runner does, so tests never read or write the development database:
``"TEST": {"URL": ...}`` in ``DATABASES`` names it; otherwise a SQLite file becomes a new file in
a temporary folder (in-memory SQLite stays as it is), and a server database ``name`` becomes
``test_name`` on the same server, created at the start and dropped at the end.

Two ways to undo what a test wrote:

:func:`rollback_transaction` opens a connection, begins a transaction and routes every session
duck hands out for that database (``get_session()``, ``request.db``) to it; commits in the code
under test become SAVEPOINT releases, so the outer rollback undoes everything, on SQLite and
PostgreSQL alike. :func:`async_rollback_transaction` does the same for async sessions
(``get_async_session()``, ``request.async_db``) on the running loop.

A sync test (the ``db`` fixture, :class:`~duck.test.Client`) exercises sync sessions; an async
test (``async_db``, :class:`~duck.test.AsyncClient`) async ones: the two are different connections,
so one cannot see the other's uncommitted rows, and a session of the other kind is refused with
a message that says what to use instead: :func:`emptied_afterwards`, which lets everything commit
for real (every connection sees it, sync or async, in any thread) and empties every table after
the test, as Django's ``TransactionTestCase``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from duck.db import sessions
from duck.db.config import DEFAULT_DATABASE, DatabaseConfig, database_configs, databases_redirected
from duck.db.engines import dispose_engines_sync, drop_engines, get_async_engine, get_engine

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

__all__ = [
    "async_rollback_transaction",
    "create_schema",
    "databases_for_tests",
    "emptied_afterwards",
    "empty_tables",
    "rollback_transaction",
]

# Alembic's record of the applied migrations: kept when tables are emptied.
_KEPT_TABLES = frozenset({"alembic_version"})


@contextmanager
def databases_for_tests() -> Iterator[dict[str, str]]:
    """Serve every configured database from a test database until the block ends; yields alias -> URL.

    Test databases on a server are created (dropped first if a previous run left them) and
    dropped at the end; SQLite test files live in a temporary folder removed at the end.
    """
    folder = tempfile.mkdtemp(prefix="duck-test-databases-")
    made: dict[str, str] = {}
    configs = database_configs()
    try:
        for alias, config in configs.items():
            url = config.test_url or _derived_test_url(config, folder)
            if url != config.url:
                _create_database(config, url)
                made[alias] = url
        with databases_redirected(made):
            drop_engines()
            try:
                yield dict(made)
            finally:
                dispose_engines_sync()
                drop_engines()
    finally:
        for alias, url in made.items():
            _drop_database(configs[alias], url)
        shutil.rmtree(folder, ignore_errors=True)


def _derived_test_url(config: DatabaseConfig, folder: str) -> str:
    from sqlalchemy.engine import make_url

    url = config.sync_url()
    if config.is_sqlite:
        if url.database in (None, "", ":memory:") or str(url.database).startswith("file:"):
            return config.url  # in memory already: nothing to keep apart
        name = "test_" + os.path.basename(str(url.database))
        return str(url.set(drivername="sqlite", database=os.path.join(folder, name)).render_as_string(False))
    if not url.database:
        return config.url
    configured = make_url(config.url)  # its own drivers: the async side keeps asyncpg
    return str(configured.set(database=f"test_{url.database}").render_as_string(hide_password=False))


def _create_database(config: DatabaseConfig, url: str) -> None:
    _drop_database(config, url)  # what a killed run left behind
    if not config.is_sqlite:  # SQLite makes its file on first connect
        with _server_connection(config) as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {_quoted_name(connection, url)}")


def _drop_database(config: DatabaseConfig, url: str) -> None:
    if config.is_sqlite:
        _remove_sqlite_files(url)
        return
    with _server_connection(config) as connection:
        name = _quoted_name(connection, url)
        # A connection a test left open (a server it started, a task) must not keep the database alive.
        force = " WITH (FORCE)" if connection.dialect.name == "postgresql" else ""
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")


def _remove_sqlite_files(url: str) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(database + suffix):
                os.remove(database + suffix)


@contextmanager
def _server_connection(config: DatabaseConfig) -> Iterator[Any]:
    """A connection outside any transaction to the server's maintenance database (CREATE/DROP DATABASE)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    maintenance = "postgres" if config.dialect == "postgresql" else None
    engine = create_engine(
        config.sync_url().set(database=maintenance), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _quoted_name(connection: Any, url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(connection.dialect.identifier_preparer.quote(make_url(url).database))


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


@contextmanager
def emptied_afterwards(alias: str = DEFAULT_DATABASE) -> Iterator[Session]:
    """A plain session whose commits, and everyone's, are real; every table is emptied on exit."""
    from duck.db.sessions import get_session

    session = get_session(alias)
    try:
        yield session
    finally:
        session.close()
        empty_tables(alias)


def empty_tables(alias: str = DEFAULT_DATABASE) -> None:
    """Delete every row of every table but Alembic's, and restart the id sequences."""
    from sqlalchemy import inspect

    from duck.db.models import Model

    with get_engine(alias).begin() as connection:
        present = set(inspect(connection).get_table_names()) - _KEPT_TABLES
        known = [table.name for table in Model.metadata.sorted_tables if table.name in present]
        # Children before parents: the models' order reversed, tables the models do not know first.
        names = sorted(present - set(known)) + known[::-1]
        if not names:
            return
        quote = connection.dialect.identifier_preparer.quote
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(map(quote, names))} RESTART IDENTITY CASCADE")
            return
        for name in names:
            connection.exec_driver_sql(f"DELETE FROM {quote(name)}")
        if connection.dialect.name == "sqlite" and inspect(connection).has_table("sqlite_sequence"):
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


def create_schema(alias: str = DEFAULT_DATABASE) -> None:
    """Bring the test database's schema up to date: the project's migrations if it has any, else the models."""
    from duck.db.migrations import load_models, migrate, migrations_dir

    if migrations_dir().is_dir() and any(migrations_dir().glob("*.py")):
        migrate(alias=alias)
    else:
        load_models().create_all(get_engine(alias))
