"""The project's lifecycle hooks (``ON_STARTUP``, ``ON_SHUTDOWN``) and closing databases at the end.

Every front door calls these in every serving process: duck's server in each worker, the ASGI
lifespan, and the WSGI adapter before a process's first request and at its exit. Hooks are dotted
paths to callables without arguments, sync (run in the thread pool) or async.

Order at startup: settings and URL conf load, then ``ON_STARTUP`` in order; an exception stops the
process from serving. At shutdown: requests in flight finish, then ``ON_SHUTDOWN`` in order (an
exception is logged and the next hook still runs), background tasks are cancelled, and last the
database engines close their pooled connections.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.utils.imports import import_string
from duck.utils.sync import is_async_callable, run_sync

__all__ = ["close_databases", "run_shutdown_hooks", "run_startup_hooks"]

logger = logging.getLogger("duck.lifecycle")


def _hooks(name: str) -> list[Any]:
    hooks = []
    for path in getattr(settings, name):
        try:
            hook = import_string(path) if isinstance(path, str) else path
        except ImportError as exc:
            raise ImproperlyConfigured(f"{name} names {path!r}, which cannot be imported: {exc}") from exc
        if not callable(hook):
            raise ImproperlyConfigured(f"{name} names {path!r}, which is not callable.")
        hooks.append(hook)
    return hooks


async def _call(hook: Any) -> None:
    if is_async_callable(hook):
        await hook()
    else:
        await run_sync(hook)


async def run_startup_hooks() -> None:
    """Run ``ON_STARTUP`` in order; the first exception propagates (the process must not serve)."""
    for hook in _hooks("ON_STARTUP"):
        await _call(hook)


async def run_shutdown_hooks() -> None:
    """Run ``ON_SHUTDOWN`` in order; each failure is logged and the others still run."""
    try:
        hooks = _hooks("ON_SHUTDOWN")
    except ImproperlyConfigured:
        logger.exception("ON_SHUTDOWN hooks cannot run")
        return
    for hook in hooks:
        try:
            await _call(hook)
        except Exception:
            logger.exception("Error in shutdown hook %r", hook)


async def close_databases() -> None:
    """Close the pooled database connections of this process (and of the running loop's async engines)."""
    engines = sys.modules.get("duck.db.engines")
    if engines is None:  # no engine was ever made: importing SQLAlchemy only to close nothing is waste
        return
    try:
        await engines.dispose_engines()
    except Exception:
        logger.exception("Closing database connections failed")


def close_databases_sync() -> None:
    """:func:`close_databases` for a process without an event loop at its end (WSGI workers at exit)."""
    engines = sys.modules.get("duck.db.engines")
    if engines is not None:
        try:
            engines.dispose_engines_sync()
        except Exception:
            logger.exception("Closing database connections failed")
