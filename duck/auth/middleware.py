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

A request whose session names no user costs nothing; one that does costs one primary-key query in
the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duck.auth.base import AnonymousUser
from duck.auth.throttle import check_throttle_store
from duck.auth.tokens import user_for_token
from duck.auth.users import SESSION_KEY, user_from_session
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.http.response import HttpResponse
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


class AuthenticationMiddleware:
    """Set ``request.user`` and ``request.auth`` (see the module docstring)."""

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        self.get_response = get_response
        check_throttle_store()  # a store that cannot work fails when the chain is built, at start

    async def __call__(self, request: Request) -> HttpResponse:
        token = bearer_token(request)
        if token is not None:
            user = await run_sync(user_for_token, token)
            if user is None:
                request.user, request.auth = AnonymousUser(), None
            else:
                request.user, request.auth = user, "token"
                request.session = Session(TransientStore())  # the cookie's session stays out of it
            response: HttpResponse = await self.get_response(request)
            return response
        session = request.__dict__.get("session")
        if session is None:
            raise ImproperlyConfigured(
                "AuthenticationMiddleware needs request.session: put 'duck.sessions.middleware.SessionMiddleware' "
                "before it in MIDDLEWARE."
            )
        if session.get(SESSION_KEY) is None:
            request.user, request.auth = AnonymousUser(), None
        else:
            request.user = await run_sync(user_from_session, session)
            request.auth = "session" if request.user.is_authenticated else None
        response = await self.get_response(request)
        return response
