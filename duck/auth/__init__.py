"""Users and login (docs/security.md).

::

    from duck.auth import authenticate, login, logout, login_required, LoginRequiredMixin

``AuthenticationMiddleware`` (after ``SessionMiddleware``) sets ``request.user``: the logged-in user,
or an ``AnonymousUser``. The default model is ``duck.auth.models.User``; ``AUTH_USER_MODEL`` names
another (an ``AbstractUser`` subclass). Passwords are hashed with Argon2id; failed logins are
throttled; ``duck.auth.tokens`` issues bearer tokens for non-browser clients, on HTTP and WebSockets.

Names are imported on first use (like ``duck.db``): SQLAlchemy loads only when users are touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duck.utils.imports import lazy_exports

if TYPE_CHECKING:
    from duck.auth.base import AbstractUser, AnonymousUser
    from duck.auth.decorators import login_required
    from duck.auth.mixins import LoginRequiredMixin
    from duck.auth.tokens import create_token, user_for_token
    from duck.auth.users import (
        aauthenticate,
        alogin,
        alogout,
        authenticate,
        create_user,
        end_sessions,
        get_user_model,
        login,
        logout,
    )

_EXPORTS = {
    "AbstractUser": "duck.auth.base",
    "AnonymousUser": "duck.auth.base",
    "login_required": "duck.auth.decorators",
    "LoginRequiredMixin": "duck.auth.mixins",
    "create_token": "duck.auth.tokens",
    "user_for_token": "duck.auth.tokens",
    "aauthenticate": "duck.auth.users",
    "alogin": "duck.auth.users",
    "alogout": "duck.auth.users",
    "authenticate": "duck.auth.users",
    "create_user": "duck.auth.users",
    "end_sessions": "duck.auth.users",
    "get_user_model": "duck.auth.users",
    "login": "duck.auth.users",
    "logout": "duck.auth.users",
}
__all__ = [
    "AbstractUser",
    "AnonymousUser",
    "LoginRequiredMixin",
    "aauthenticate",
    "alogin",
    "alogout",
    "authenticate",
    "create_token",
    "create_user",
    "end_sessions",
    "get_user_model",
    "login",
    "login_required",
    "logout",
    "user_for_token",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
