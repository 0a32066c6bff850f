"""The fast path: the async driver's own connection, for the few endpoints where the ORM costs too much.

::

    async with driver_connection() as connection:      # an asyncpg.Connection on PostgreSQL
        row = await connection.fetchrow("SELECT id, randomnumber FROM world WHERE id = $1", 42)

With asyncpg (PostgreSQL's async driver), connections come from an asyncpg pool that duck keeps
per process, database and event loop, next to the engine's: it skips SQLAlchemy's pool bookkeeping,
which costs as much as the query on a fast endpoint (bench/tfb). It has the same limits: at most
``DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW`` connections, a wait of ``DATABASE_POOL_TIMEOUT`` for
one, ``DATABASE_CONNECT_TIMEOUT`` to connect; a database that cannot be reached, or a connection
lost, raises :class:`~duck.exceptions.DatabaseUnavailable` (503). Other async drivers (aiosqlite,
psycopg) hand out their connection from the engine's own pool.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from duck.conf import settings
from duck.db.config import DEFAULT_DATABASE, database_config
from duck.db.engines import get_async_engine
from duck.exceptions import DatabaseUnavailable

__all__ = ["driver_connection"]

# Seconds a closing pool waits for connections still in use before it cuts them.
_CLOSE_TIMEOUT = 5.0

# Stands for "this database's driver is served from the engine's pool" (not asyncpg).
_ENGINE: Any = object()
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def driver_connection(alias: str = DEFAULT_DATABASE) -> AsyncIterator[Any]:
    """The async driver's connection to ``alias``, checked out for the block (asyncpg's own pool on PostgreSQL).

    Raises:
        DatabaseUnavailable: no connection within the timeouts, or the connection was lost.
        ImproperlyConfigured: as ``get_async_engine``.
    """
    pools = _pools.get(asyncio.get_running_loop())
    pool = pools.get(alias) if pools is not None else None
    if pool is None:
        pool = await _create_pool(alias)
    if pool is _ENGINE:
        async with get_async_engine(alias).connect() as connection:
            raw = await connection.get_raw_connection()
            yield raw.driver_connection
        return
    try:
        async with pool.acquire(timeout=settings.DATABASE_POOL_TIMEOUT) as connection:
            yield connection
    except _lost_connection_errors() as exc:
        raise DatabaseUnavailable() from exc


def _lost_connection_errors() -> tuple[type[BaseException], ...]:
    import asyncpg  # type: ignore[import-untyped]

    return (
        OSError,
        asyncio.TimeoutError,
        asyncpg.PostgresConnectionError,
        asyncpg.exceptions.OperatorInterventionError,
    )


async def _create_pool(alias: str) -> Any:
    """The pool of ``alias`` for this loop (:data:`_ENGINE` for drivers served by the engine's pool)."""
    loop = asyncio.get_running_loop()
    pools = _pools.setdefault(loop, {})
    lock = _locks.setdefault(loop, asyncio.Lock())
    async with lock:  # one pool, however many requests arrive before it exists
        pool = pools.get(alias)
        if pool is not None:
            return pool
        url = database_config(alias).async_url()
        if url.get_driver_name() != "asyncpg":
            pools[alias] = _ENGINE
            return _ENGINE
        import asyncpg
        from sqlalchemy.dialects.postgresql.asyncpg import dialect

        _, params = dialect().create_connect_args(url)  # type: ignore[no-untyped-call]
        params.update(database_config(alias).options.get("connect_args", {}))
        try:
            pool = await asyncpg.create_pool(
                **params,
                min_size=0,
                max_size=settings.DATABASE_POOL_SIZE + settings.DATABASE_MAX_OVERFLOW,
                timeout=settings.DATABASE_CONNECT_TIMEOUT,
            )
        except _lost_connection_errors() as exc:
            raise DatabaseUnavailable() from exc
        pools[alias] = pool
        return pool


def has_pools(loop: asyncio.AbstractEventLoop) -> bool:
    return bool(_pools.get(loop))


def forget_pools() -> None:
    """Settings changed: later calls make pools for the new configuration (old ones close with their loop)."""
    _pools.clear()


async def close_pools() -> None:
    """Close the running loop's driver pools (with its async engines, at shutdown)."""
    pools = _pools.pop(asyncio.get_running_loop(), {})
    for pool in pools.values():
        if pool is _ENGINE:
            continue
        try:
            await asyncio.wait_for(pool.close(), _CLOSE_TIMEOUT)
        except asyncio.TimeoutError:
            pool.terminate()
