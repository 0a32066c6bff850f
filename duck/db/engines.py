"""Engines, created on first use and kept per process: one sync engine per alias, one async engine per alias and loop.

Nothing connects at import or at startup: the first session opens the first connection. Async
drivers bind their connections to the event loop that opened them, so async engines are kept per
loop (duck's server has one per process; a WSGI server one per thread; a test suite one per test).
:func:`dispose_engines` closes the pools at shutdown, after the requests in flight have finished.

Pools are sized from settings: ``DATABASE_POOL_SIZE`` connections stay open and up to
``DATABASE_MAX_OVERFLOW`` more are opened under load, so each of the ``SYNC_VIEW_THREADS`` sync view
threads can hold one; a request that finds none free waits ``DATABASE_POOL_TIMEOUT`` seconds, then
gets 503. A connection that cannot be made, or breaks, marks the error as a disconnect (the pool
drops its connections and reconnects later), which the dispatcher answers with 503.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from duck.conf import on_setting_changed, settings
from duck.db.config import DEFAULT_DATABASE, DatabaseConfig, database_config, database_configs
from duck.exceptions import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["dispose_engines", "drop_engines", "engine_options", "get_async_engine", "get_engine"]

_lock = threading.Lock()
_sync_engines: dict[str, Engine] = {}
_async_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncEngine]] = (
    weakref.WeakKeyDictionary()
)
# The configuration the engines were built from: a settings change that alters it drops them.
_built_from: dict[str, DatabaseConfig] | None = None


def get_engine(alias: str = DEFAULT_DATABASE) -> Engine:
    """The sync engine of ``alias`` (created on first use; safe to call from any thread).

    Raises:
        ImproperlyConfigured: no such database, a URL that cannot work, or its driver is missing.
    """
    engine = _sync_engines.get(alias)
    if engine is not None:
        return engine
    with _lock:
        engine = _sync_engines.get(alias)
        if engine is None:
            from sqlalchemy import create_engine

            _remember_config()
            config = database_config(alias)
            engine = create_engine(config.sync_url(), **engine_options(config, is_async=False))
            _instrument(engine, config)
            _sync_engines[alias] = engine
    return engine


def get_async_engine(alias: str = DEFAULT_DATABASE) -> AsyncEngine:
    """The async engine of ``alias`` for the running event loop (created on first use).

    Raises:
        RuntimeError: no event loop is running (use :func:`get_engine` in sync code).
        ImproperlyConfigured: as :func:`get_engine`.
    """
    loop = asyncio.get_running_loop()
    engines = _async_engines.get(loop)
    if engines is None:
        engines = _async_engines.setdefault(loop, {})
    engine = engines.get(alias)
    if engine is None:
        from sqlalchemy.ext.asyncio import create_async_engine

        _remember_config()
        config = database_config(alias)
        engine = create_async_engine(config.async_url(), **engine_options(config, is_async=True))
        _instrument(engine.sync_engine, config)
        engines[alias] = engine
    return engine


def engine_options(config: DatabaseConfig, *, is_async: bool) -> dict[str, Any]:
    """``create_engine`` keyword arguments: duck's pool and timeout settings, then the database's OPTIONS."""
    options: dict[str, Any] = {}
    url = config.async_url() if is_async else config.sync_url()
    memory = config.is_sqlite and url.database in (None, "", ":memory:")
    if not memory:  # in-memory SQLite is one connection per thread (SQLAlchemy's pool for it)
        options.update(
            pool_size=settings.DATABASE_POOL_SIZE,
            max_overflow=settings.DATABASE_MAX_OVERFLOW,
            pool_timeout=settings.DATABASE_POOL_TIMEOUT,
        )
    timeout = settings.DATABASE_CONNECT_TIMEOUT
    driver = url.get_driver_name()
    if driver == "psycopg":
        options["connect_args"] = {"connect_timeout": max(1, round(timeout))}
    elif driver == "asyncpg":
        options["connect_args"] = {"timeout": timeout}
    options.update(config.options)
    return options


def _instrument(engine: Engine, config: DatabaseConfig) -> None:
    """Event listeners every duck engine gets: SQLite's pragmas and transactions, failed connects as disconnects."""
    from sqlalchemy import event

    event.listen(engine, "handle_error", _mark_unreachable)
    event.listen(engine, "do_connect", _connect)
    if config.is_sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def _mark_unreachable(context: Any) -> None:
    # No connection means connecting failed (refused, timed out, authentication): the database is
    # unreachable. Marked as a disconnect, the error drops the pool's connections and maps to 503.
    if context.connection is None and not context.is_disconnect:
        context.is_disconnect = True


def _connect(dialect: Any, connection_record: Any, cargs: Any, cparams: Any) -> Any:
    # Some drivers (asyncpg) let socket errors out as they are, not as DBAPI errors that
    # handle_error sees: a refused or timed-out connect is the database being unreachable.
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise DatabaseUnavailable() from exc


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, start transactions (see _sqlite_begin): sqlite3's own
    # handling commits before DDL and cannot do SAVEPOINT, which migrations and test rollbacks need.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")  # off by default in SQLite, for backwards compatibility
        cursor.execute("PRAGMA journal_mode")
        row = cursor.fetchone()
        if row is not None and str(row[0]).lower() not in ("memory", "wal"):
            # WAL: readers never block the writer, and the writer blocks no reader (several threads, workers).
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode, without a sync on every commit
    finally:
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _remember_config() -> None:
    global _built_from
    if _built_from is None:
        _built_from = database_configs()


@on_setting_changed
def _drop_engines_if_databases_changed() -> None:
    """Tests override DATABASES: engines of the old configuration must not serve the new one."""
    if _built_from is None:
        return
    try:
        current: dict[str, DatabaseConfig] | None = database_configs()
    except Exception:  # broken settings surface when an engine is next asked for
        current = None
    if current != _built_from:
        drop_engines()


def drop_engines() -> None:
    """Forget every engine (the sync ones' pools closed): the next use builds them from the configuration."""
    global _built_from
    with _lock:
        engines = list(_sync_engines.values())
        _sync_engines.clear()
        _async_engines.clear()  # pooled async connections are closed by their loop's dispose_engines or GC
        driver = sys.modules.get("duck.db.driver")
        if driver is not None:
            driver.forget_pools()
        _built_from = None
    for engine in engines:
        engine.dispose()


async def dispose_engines() -> None:
    """Close every pooled connection: the sync engines' and the running loop's async engines'.

    Engines stay usable (they reconnect on next use); the async ones of this loop are forgotten.
    Call it at shutdown, after requests in flight have finished (duck's server and ASGI lifespan do).
    """
    with _lock:
        sync_engines = list(_sync_engines.values())
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - called from sync code through a fresh loop
        loop = None
    if loop is not None:
        await dispose_async_engines()
    for engine in sync_engines:
        engine.dispose()


def has_async_engines(loop: asyncio.AbstractEventLoop) -> bool:
    driver = sys.modules.get("duck.db.driver")
    return bool(_async_engines.get(loop)) or (driver is not None and driver.has_pools(loop))


async def dispose_async_engines() -> None:
    """Close the running loop's async engines (and driver pools) and forget them: their connections belong to it."""
    engines = _async_engines.pop(asyncio.get_running_loop(), {})
    for engine in engines.values():
        await engine.dispose()
    driver = sys.modules.get("duck.db.driver")
    if driver is not None:
        await driver.close_pools()


def dispose_engines_sync() -> None:
    """Close the sync engines' pooled connections (WSGI workers at exit; scripts)."""
    with _lock:
        engines = list(_sync_engines.values())
    for engine in engines:
        engine.dispose()
