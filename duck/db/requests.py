"""Per-request sessions: ``request.db`` (sync views) and ``request.async_db`` (async views).

Each is opened on first use, so a request that touches no database pays nothing, and both end
with the request: the dispatcher closes them once the response is ready (rolling back whatever
was not committed). With ``ATOMIC_REQUESTS`` the dispatcher commits them when the view returns a
response and rolls them back when it raises, as Django does.

A WebSocket's handshake request ends when the connection is accepted: its sessions are closed
then, and using them later raises. WebSocket handlers open a session per message instead
(``async with get_async_session() as session``), so that no transaction stays open for the life
of a connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from duck.db.sessions import get_async_session, get_session
from duck.exceptions import RequestSessionClosed
from duck.http.request import Request, provide_request_attribute

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

__all__ = ["RequestSessions", "close_request_sessions", "request_sessions"]

# Where a request keeps its RequestSessions (absent until a session is first asked for).
_KEY = "_duck_db_sessions"
RunBlocking = Callable[..., Awaitable[Any]]


class RequestSessions:
    """The sync and async sessions of one request, each created on first use."""

    __slots__ = ("_async", "_closed", "_sync")

    def __init__(self) -> None:
        self._sync: Session | None = None
        self._async: AsyncSession | None = None
        self._closed = False

    @property
    def sync(self) -> Session:
        self._check_open()
        if self._sync is None:
            self._sync = get_session()
        return self._sync

    @property
    def async_(self) -> AsyncSession:
        self._check_open()
        if self._async is None:
            self._async = get_async_session()
        return self._async

    @property
    def has_sync(self) -> bool:
        """Whether the sync session was opened (ending it needs a worker thread)."""
        return self._sync is not None

    def _check_open(self) -> None:
        if self._closed:
            raise RequestSessionClosed(
                "This request's database sessions are closed: the request was answered. In WebSocket handlers "
                "and background tasks, open a session with get_session() or get_async_session()."
            )

    def end_sync(self, commit: bool) -> None:
        """Commit (or roll back) the sync session's transaction; blocking, so call it from a worker thread."""
        if self._sync is not None:
            if commit:
                self._sync.commit()
            else:
                self._sync.rollback()

    async def end_async(self, commit: bool) -> None:
        """Commit (or roll back) the async session's transaction."""
        if self._async is not None:
            if commit:
                await self._async.commit()
            else:
                await self._async.rollback()

    async def close(self, run_blocking: RunBlocking) -> None:
        """Close both sessions (uncommitted work is rolled back); ``run_blocking`` runs the sync close off the loop."""
        self._closed = True
        sync, self._sync = self._sync, None
        async_session, self._async = self._async, None
        try:
            if async_session is not None:
                await async_session.close()
        finally:
            if sync is not None:
                await run_blocking(sync.close)


def request_sessions(request: Request) -> RequestSessions:
    """The sessions holder of ``request``, created on first call."""
    sessions = request.__dict__.get(_KEY)
    if sessions is None:
        sessions = request.__dict__[_KEY] = RequestSessions()
    return sessions


def opened_request_sessions(request: Request) -> RequestSessions | None:
    """The holder if a session of ``request`` was ever asked for, else None (the cheap per-request check)."""
    return request.__dict__.get(_KEY)


async def close_request_sessions(request: Request, run_blocking: RunBlocking) -> None:
    sessions = request.__dict__.get(_KEY)
    if sessions is not None:
        await sessions.close(run_blocking)


provide_request_attribute("db", lambda request: request_sessions(request).sync)
provide_request_attribute("async_db", lambda request: request_sessions(request).async_)
