"""``@login_required`` for function views, and the refusal it gives to anonymous visitors.

- a browser (plain HTTP): a redirect to ``LOGIN_URL`` with ``?next=`` the page it asked for;
- a token client (``Authorization: Bearer``) or a WebSocket handshake: 401 with
  ``WWW-Authenticate: Bearer`` (RFC 9110 §15.5.2), before any protocol switch.

Put it above ``@accept_websocket`` / ``@require_websocket``: the handshake is then refused before the
connection is accepted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from duck.conf import settings
from duck.exceptions import NotAuthenticated
from duck.http.request import Request
from duck.http.response import HttpResponse, HttpResponseRedirect
from duck.shortcuts import resolve_url
from duck.utils.sync import is_async_callable

__all__ = ["login_required", "refusal_for_anonymous"]


def refusal_for_anonymous(request: Request) -> HttpResponse | None:
    """None when ``request.user`` is logged in; else the redirect or 401 described above.

    Raises:
        NotAuthenticated: for WebSocket handshakes and token clients (the dispatcher answers 401).
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None
    if request.is_websocket() or request.headers.get("authorization") is not None:
        raise NotAuthenticated("Log in first: this endpoint needs an authenticated user.")
    login_url = resolve_url(settings.LOGIN_URL)
    separator = "&" if "?" in login_url else "?"
    return HttpResponseRedirect(f"{login_url}{separator}next={quote(request.get_full_path(), safe='/')}")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only logged-in users reach ``view`` (sync or async); the others get the refusal above."""
    if is_async_callable(view):

        @functools.wraps(view)
        async def async_wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
            refusal = refusal_for_anonymous(request)
            return refusal if refusal is not None else await view(request, *args, **kwargs)

        async_wrapper.login_required = True  # type: ignore[attr-defined]
        return async_wrapper

    @functools.wraps(view)
    def wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
        refusal = refusal_for_anonymous(request)
        return refusal if refusal is not None else view(request, *args, **kwargs)

    wrapper.login_required = True  # type: ignore[attr-defined]
    return wrapper
