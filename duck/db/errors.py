"""Which database errors mean "unavailable" (503) rather than a bug (500).

The dispatcher calls :func:`unavailable_error` on every exception a view raises. A database that
cannot be reached (connection refused, timed out, dropped mid-query: SQLAlchemy's disconnect
errors, which duck's engines also set for failed connects), a pool with no free connection within
``DATABASE_POOL_TIMEOUT`` and a locked SQLite file are all conditions that pass: the client should
retry, so they become :class:`~duck.exceptions.DatabaseUnavailable`. Anything else (a missing
table, a constraint violated) stays a 500 with its traceback in the log.
"""

from __future__ import annotations

import sys

from duck.exceptions import DatabaseUnavailable

__all__ = ["unavailable_error"]

_BUSY = "The database is busy: no connection came free in time; please try again shortly."


def unavailable_error(exc: BaseException) -> DatabaseUnavailable | None:
    """``exc`` as a :class:`DatabaseUnavailable` (its cause chained), or None when it is something else."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None:  # SQLAlchemy never imported: no database error is possible
        return None
    if isinstance(exc, sa_exc.TimeoutError):
        error = DatabaseUnavailable(_BUSY)
    elif isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        error = DatabaseUnavailable()
    elif isinstance(exc, sa_exc.OperationalError) and "database is locked" in str(exc.orig):
        error = DatabaseUnavailable(_BUSY)  # SQLite: another writer held the file longer than its busy timeout
    else:
        return None
    error.__cause__ = exc
    return error
