"""``AuthenticationMiddleware``: ``request.user`` (and ``request.auth``) on every request and WebSocket handshake.

Put it after ``SessionMiddleware``. The user is found before the view runs, so sync views, async
views and WebSocket handlers all read ``request.user`` without touching the database themselves:

- ``Authorization: Bearer <token>`` (:mod:`duck.auth.tokens`): the token's user, ``request.auth ==
  "token"``, and ``request.session`` a new empty session kept for this request only: the cookie's
  session is not used at all (neither read nor changed), and CSRF does not apply. A bad or expired
  token gives an AnonymousUser (``@login_required`` then answers 401), and the request stays a
  cookie-bearing one: CSRF applies;
- otherwise the session's user, ``request.auth == "session"``; a session of a deleted or deactivated
  user, from before a password change or from before its user's sessions were ended, is emptied;
- otherwise an :class:`~duck.auth.base.AnonymousUser` and ``request.auth`` None.

A request whose session names no user costs nothing: ``request.user`` is an AnonymousUser made when
first read; one that names a user costs one primary-key query in the thread pool, before the view.
Reading ``request.user`` or ``request.auth`` marks the session accessed, so the response varies on
Cookie; a response that never looked at them (nor at the session) carries no ``Vary: Cookie`` and
stays cacheable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duck.auth.base import AnonymousUser
from duck.auth.throttle import check_throttle_store
from duck.auth.tokens import user_for_token
from duck.auth.users import SESSION_KEY, user_from_session
from duck.exceptions import ImproperlyConfigured
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request, provide_request_attribute
from duck.sessions.base import Session, TransientStore
from duck.utils.sync import run_sync

__all__ = ["AuthenticationMiddleware", "bearer_token"]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750 §2.1), or None."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class AuthenticationMiddleware(MiddlewareMixin):
    """Set ``request.user`` and ``request.auth`` (see the module docstring); a request hook, run flat."""

    needs_event_loop = False  # it awaits only run_sync: WSGI may run it without an event loop

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        super().__init__(get_response)
        check_throttle_store()  # a store that cannot work fails when the chain is built, at start

    async def process_request(self, request: Request) -> None:
        token = bearer_token(request)
        if token is not None:
            user = await run_sync(user_for_token, token)
            if user is None:
                request.user, request.auth = AnonymousUser(), None
            else:
                request.user, request.auth = user, "token"
                request.session = Session(TransientStore())  # the cookie's session stays out of it
            return
        session = request.__dict__.get("session")
        if session is None:
            raise ImproperlyConfigured(
                "AuthenticationMiddleware needs request.session: put 'duck.sessions.middleware.SessionMiddleware' "
                "before it in MIDDLEWARE."
            )
        if session.peek(SESSION_KEY) is None:
            session_user: Any = None  # AnonymousUser, made if the request asks
        else:
            session_user = await run_sync(user_from_session, session)
        request.__dict__[_SESSION_USER] = session_user


# Where the middleware leaves the session's user (None: anonymous) for request.user to find.
_SESSION_USER = "_duck_session_user"


def _session_user(request: Request, name: str) -> Any:
    """``request.user`` / ``request.auth`` on first read: the session's user, and the session marked accessed."""
    if _SESSION_USER not in request.__dict__:
        raise AttributeError(
            f"'Request' object has no attribute {name!r}: add 'duck.auth.middleware.AuthenticationMiddleware' "
            "to MIDDLEWARE."
        )
    request.session.accessed = True  # the response depends on who is logged in: it varies on Cookie
    user = request.__dict__[_SESSION_USER]
    if user is None:
        user = AnonymousUser()
    request.__dict__.setdefault("user", user)
    request.__dict__.setdefault("auth", "session" if user.is_authenticated else None)
    return request.__dict__[name]


provide_request_attribute("user", lambda request: _session_user(request, "user"))
provide_request_attribute("auth", lambda request: _session_user(request, "auth"))
