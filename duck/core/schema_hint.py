"""Recognise a database error that means "the models changed and no migration followed".

A model gains a column, the code is reloaded, and the next query fails with SQLite's
``no such column: message.author`` or PostgreSQL's ``UndefinedColumn``. The traceback alone does
not say what to do; :func:`schema_behind` finds such an error (wherever it sits in the chain of
causes) so that the DEBUG page (duck/core/debug.py) and the server's log can say it: write the
migration, apply it.
"""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["COMMANDS", "log_schema_hint", "schema_behind"]

COMMANDS = ('duck db makemigrations -m "describe the change"', "duck db migrate")
# PostgreSQL's SQLSTATE codes for a table and a column that do not exist (psycopg, asyncpg).
_UNDEFINED_TABLE_OR_COLUMN = frozenset({"42P01", "42703"})
# SQLite's messages: a query naming a table or column it lacks, an INSERT naming a column it lacks.
_SQLITE_MISSING = re.compile(r"^(no such table|no such column|table \S+ has no column named)\b")
_CHAIN_LIMIT = 20  # exceptions followed through __cause__ / __context__
# Packages whose exceptions are the database's own words when raised without SQLAlchemy around them.
_DRIVERS = frozenset({"sqlite3", "psycopg", "psycopg2", "asyncpg", "aiosqlite"})


def schema_behind(exc: BaseException) -> str | None:
    """The database's message when ``exc`` comes from a table or column the database lacks, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
        seen.add(id(current))
        error = _driver_error(current)
        if error is not None:
            message = (str(error).strip().splitlines() or [""])[0]
            code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
            if code in _UNDEFINED_TABLE_OR_COLUMN or _SQLITE_MISSING.match(message):
                return _driver_message(message)
        current = current.__cause__ or current.__context__
    return None


def _driver_error(exc: BaseException) -> BaseException | None:
    """The database driver's own exception in ``exc`` (SQLAlchemy wraps it), or None if it is not one."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError):
        orig: BaseException | None = exc.orig
        return orig
    return exc if type(exc).__module__.partition(".")[0] in _DRIVERS else None


def _driver_message(message: str) -> str:
    """The driver's words without the exception class SQLAlchemy's asyncpg adapter puts first."""
    return re.sub(r"^<class '[\w.]+'>: ", "", message)


def log_schema_hint(logger: logging.Logger, exc: BaseException) -> None:
    """Log, next to the error already logged, what to run when ``exc`` means the schema is behind the models."""
    missing = schema_behind(exc)
    if missing is not None:
        logger.warning(
            "The database is behind the models (%s): write and apply a migration: %s, then %s.",
            missing,
            *COMMANDS,
        )
