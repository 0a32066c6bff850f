"""Bearer tokens for clients that are not browsers (scripts, apps, WebSocket clients).

::

    token = create_token(user)                       # give it to the client once (e.g. after a login)
    # the client sends:  Authorization: Bearer <token>

With ``AuthenticationMiddleware``, a request carrying ``Authorization: Bearer`` is authenticated by
the token alone (``request.auth == "token"``), on HTTP and on WebSocket handshakes: the cookie's
session is not used (the request gets an empty one of its own), and CSRF does not apply (no browser
sends that header by itself). A token that authenticates nobody switches nothing off. A token is signed with
``SECRET_KEY`` (not encrypted: it holds the user id), expires after ``AUTH_TOKEN_MAX_AGE`` seconds,
and dies with a password change. A tampered or expired token authenticates nobody.
"""

from __future__ import annotations

from typing import Any

from duck.conf import settings
from duck.exceptions import BadSignature
from duck.utils import signing

__all__ = ["TOKEN_SALT", "create_token", "user_for_token"]

TOKEN_SALT = "duck.auth.token"


def create_token(user: Any) -> str:
    """A signed bearer token for ``user`` (valid ``AUTH_TOKEN_MAX_AGE`` seconds)."""
    return signing.dumps({"u": str(user.id), "h": user.session_auth_hash()[:32]}, salt=TOKEN_SALT, compress=False)


def user_for_token(token: str) -> Any | None:
    """The active user ``token`` was made for; None if it is forged, expired, or the password changed.

    Blocking (a database query): call it from sync code or through ``run_sync``.
    """
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=settings.AUTH_TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    from duck.auth.users import load_user

    return load_user(payload.get("u"), payload.get("h"))
