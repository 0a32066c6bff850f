"""The access log of duck's server: one line per request, batched so it costs little.

A ``logging`` call per request costs a LogRecord, a formatter, a lock and a ``write`` + ``flush``
on the event loop: about a third of a hello-world request. Here the connection hands over the
line's values; they are collected and written every 50 ms (or every 256 lines). When the ``duck.access``
records would only reach the handler duck installs by default (``duck runserver`` with no logging
configured), the lines are formatted exactly as that handler would and written in one ``write``;
with any other logging setup every line still goes through ``logging``, one record each, so custom
handlers and formats keep working (batched, not bypassed).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

__all__ = ["DEFAULT_FORMAT", "AccessLog", "access_logger", "mark_default_handler"]

access_logger = logging.getLogger("duck.access")

# The format of the handler duck installs when logging is not configured (duck.server.configure_logging).
DEFAULT_FORMAT = "[%(asctime)s] %(process)d %(levelname)s %(name)s: %(message)s"
_DEFAULT_HANDLER = "duck_default_handler"
# Lines are written at most this long after their request was answered: a write per loop turn
# still cost a system call every few requests under load; one per 50 ms is one per thousands.
_DELAY = 0.05
# ...or as soon as this many lines are waiting.
_BATCH = 256


def mark_default_handler(handler: logging.Handler) -> None:
    """Mark ``handler`` as duck's default one, whose output :class:`AccessLog` may write directly."""
    setattr(handler, _DEFAULT_HANDLER, True)


class AccessLog:
    """Collects access lines on one event loop and emits them in batches."""

    __slots__ = ("_lines", "_loop", "_scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lines: list[tuple[str, str, str, str, int, int, float]] = []
        self._scheduled = False

    @staticmethod
    def enabled() -> bool:
        return access_logger.isEnabledFor(logging.INFO)

    def add(self, client: str, method: str, path: str, version: str, status: int, size: int, ms: float) -> None:
        """One answered request: ``client - "METHOD path HTTP/version" status size duration``."""
        self._lines.append((client, method, path, version, status, size, ms))
        if len(self._lines) >= _BATCH:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_later(_DELAY, self.flush)

    def flush(self) -> None:
        """Emit every collected line (also called at shutdown)."""
        self._scheduled = False
        lines, self._lines = self._lines, []
        if not lines:
            return
        handler = _only_default_handler()
        if handler is None:
            for client, method, path, version, status, size, ms in lines:
                access_logger.info('%s - "%s %s HTTP/%s" %d %d %.1fms', client, method, path, version, status, size, ms)
            return
        prefix = f"[{_asctime()}] {os.getpid()} INFO duck.access: "
        text = "".join(
            f'{prefix}{client} - "{method} {path} HTTP/{version}" {status} {size} {ms:.1f}ms\n'
            for client, method, path, version, status, size, ms in lines
        )
        stream = handler.stream
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not break serving
            pass


def _only_default_handler() -> logging.StreamHandler | None:  # type: ignore[type-arg]
    """duck's default handler, when it is the one place duck.access records would go; else None."""
    logger: logging.Logger | None = access_logger
    found = None
    while logger is not None:
        if logger.filters:
            return None
        for handler in logger.handlers:
            if found is not None or not getattr(handler, _DEFAULT_HANDLER, False):
                return None
            if not isinstance(handler, logging.StreamHandler) or handler.level > logging.INFO:
                return None
            found = handler
        if not logger.propagate:
            break
        logger = logger.parent
    return found


def _asctime() -> str:
    """``logging``'s default asctime, ``2026-11-29 13:05:01,123``."""
    now = time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{int(now * 1000) % 1000:03d}"
