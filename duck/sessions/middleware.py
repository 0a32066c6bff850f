"""``SessionMiddleware``: ``request.session`` loaded before the view, saved after it when it changed.

::

    MIDDLEWARE = [
        "duck.middleware.security.SecurityMiddleware",
        "duck.sessions.middleware.SessionMiddleware",
        "duck.middleware.csrf.CsrfViewMiddleware",
        "duck.auth.middleware.AuthenticationMiddleware",
    ]

The session is loaded eagerly (a store that does I/O is called in the thread pool), so views, sync or
async, and WebSocket handlers read it without blocking. After the view, a modified session is saved
and its cookie set with the ``SESSION_COOKIE_*`` flags: HttpOnly, SameSite=Lax and, unless
``SESSION_COOKIE_SECURE`` says otherwise, Secure when the request came over HTTPS (behind a proxy, see
``TRUSTED_PROXIES``). An emptied session deletes its cookie. Nothing is saved after a 5xx response,
nor when ``AuthenticationMiddleware`` replaced the session (a bearer token authenticated the request).

A WebSocket handshake carries the session too (``self.request.session``): it is read before the
connection opens. A handler that changes it saves it with ``await request.session.asave()``
(server-side stores only: a signed cookie cannot be changed without an HTTP response).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from duck.conf import settings
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request
from duck.http.response import HttpResponse, UpgradeResponse
from duck.middleware.compression import patch_vary
from duck.sessions.base import Session, SessionStore
from duck.sessions.stores import get_store
from duck.utils.sync import run_sync

__all__ = ["SessionMiddleware", "load_session"]


async def load_session(request: Request, store: SessionStore) -> Session:
    """The session named by the request's cookie, or a new empty one (absent, expired or forged cookie)."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie:
        return Session(store)
    found = await run_sync(store.load, cookie) if store.server_side else store.load(cookie)
    if found is None or found[1].expired(time.time()):
        session = Session(store)
        session.loaded_from_cookie = True  # the stale cookie is deleted if the session stays empty
        return session
    key, record = found
    return Session(store, key, record)


class SessionMiddleware(MiddlewareMixin):
    """Give every request a ``session`` (see the module docstring); two hooks, run flat."""

    needs_event_loop = False  # it awaits only run_sync: WSGI may run it without an event loop

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        super().__init__(get_response)
        self.store = get_store()  # an unknown SESSION_STORE fails when the chain is built

    async def process_request(self, request: Request) -> None:
        request.session = request.__dict__[_LOADED] = await load_session(request, self.store)

    async def process_response(self, request: Request, response: HttpResponse) -> HttpResponse:
        session = request.__dict__.get(_LOADED)
        if not isinstance(session, Session):
            return response  # answered before the session was loaded
        if _replaced(request, session):
            return response  # a bearer token authenticated the request: the cookie's session is unused
        if session.accessed:
            patch_vary(response, "Cookie")
        now = time.time()
        if response.status_code >= 500 or not (session.modified or session.needs_touch(now)):
            return response
        if isinstance(response, UpgradeResponse):  # a WebSocket: no cookie can be set, the store can be written
            if self.store.server_side:
                await run_sync(session.save_now, now)
            return response
        value = await run_sync(session.save_now, now) if self.store.server_side else session.save_now(now)
        if value is None:
            if session.loaded_from_cookie:
                response.delete_cookie(
                    settings.SESSION_COOKIE_NAME,
                    path=settings.SESSION_COOKIE_PATH,
                    domain=settings.SESSION_COOKIE_DOMAIN,
                    samesite=settings.SESSION_COOKIE_SAMESITE,
                )
            return response
        set_session_cookie(request, response, value, session.record.expires_at(now) - now)
        return response


def _replaced(request: Request, session: Session) -> bool:
    return request.__dict__.get("session") is not session


# Where process_request leaves the session it loaded, for process_response to compare and save.
_LOADED = "_duck_loaded_session"


def set_session_cookie(request: Request, response: HttpResponse, value: str, lifetime: float) -> None:
    """Set the session cookie with the ``SESSION_COOKIE_*`` flags."""
    secure = settings.SESSION_COOKIE_SECURE
    try:
        response.set_cookie(
            settings.SESSION_COOKIE_NAME,
            value,
            max_age=None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else max(0, round(lifetime)),
            path=settings.SESSION_COOKIE_PATH,
            domain=settings.SESSION_COOKIE_DOMAIN,
            secure=request.is_secure() if secure is None else secure,
            httponly=settings.SESSION_COOKIE_HTTPONLY,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
    except ValueError as exc:
        raise ValueError(
            f"The session cannot be sent as a cookie ({exc}). Keep less in it, or store sessions on the server: "
            "SESSION_STORE = 'database' or 'redis'."
        ) from None
