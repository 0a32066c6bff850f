"""``CsrfViewMiddleware``: another site cannot make a logged-in browser post to this one.

Every request with an unsafe method (POST, PUT, PATCH, DELETE) must carry a token bound to the
visitor's session, in the form field ``csrfmiddlewaretoken`` (``{{ csrf_input() }}`` in a form) or in
the ``X-CSRFToken`` header (``{{ csrf_token() }}`` for JavaScript), or is refused with 403 and a
page saying why. Another site can make the browser send the request, cookies and all, but cannot
read this site's pages, so it cannot know the token.

Checks, in order (as Django's):

1. ``Origin``, when the browser sends it, is this site's own origin (scheme, host and port; behind
   a proxy see ``TRUSTED_PROXIES``) or one of ``CSRF_TRUSTED_ORIGINS``;
2. over HTTPS without ``Origin``, ``Referer`` must be present and of this site (or a trusted origin);
3. the token matches the session's secret. Tokens are masked with a fresh random pad each time they
   are written into a page (BREACH-proof under compression); ``login()`` replaces the secret.

Exempt: duck.test's clients unless ``Client(enforce_csrf_checks=True)`` (as Django's), safe
methods (WebSocket handshakes are GET; their ``Origin`` is checked by the handshake itself), views
marked ``@csrf_exempt``, and requests that a valid ``Authorization: Bearer`` token authenticated
(``AuthenticationMiddleware`` then keeps the cookie's session out of them, so they do not ride on
cookies). A junk or expired token exempts nothing. Needs ``SessionMiddleware`` before it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
from typing import Any, TypeVar
from urllib.parse import urlsplit

from duck.conf import settings
from duck.core.exception import error_response
from duck.exceptions import ImproperlyConfigured
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request, provide_request_attribute
from duck.http.response import HttpResponse
from duck.sessions.base import CSRF_SESSION_KEY

__all__ = ["CsrfViewMiddleware", "csrf_exempt", "get_token"]

security_logger = logging.getLogger("duck.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SECRET_BYTES = 32
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_DEFAULT_PORTS = {"http": 80, "https": 443}
V = TypeVar("V")


def csrf_exempt(view: V) -> V:
    """Let ``view`` (a function or a View class) take unsafe requests without a token (webhooks, APIs)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def get_token(request: Request) -> str:
    """A CSRF token for ``request``'s session, masked afresh (one per request, cached).

    The session gets a secret on first use (and is saved with the response).

    Raises:
        ImproperlyConfigured: the request has no session (SessionMiddleware missing).
    """
    cached = request.__dict__.get("_csrf_token")
    if cached is not None:
        return str(cached)
    session = _session(request)
    secret = session.get(CSRF_SESSION_KEY)
    if not isinstance(secret, str):
        secret = session[CSRF_SESSION_KEY] = _b64(secrets.token_bytes(_SECRET_BYTES))
    raw = _unb64(secret)
    pad = secrets.token_bytes(len(raw))
    token = _b64(pad + bytes(a ^ b for a, b in zip(raw, pad, strict=True)))
    request.__dict__["_csrf_token"] = token
    return token


def _unmask(token: str) -> bytes | None:
    try:
        data = _unb64(token.strip())
    except (binascii.Error, ValueError):
        return None
    if len(data) != 2 * _SECRET_BYTES:
        return None
    pad, masked = data[:_SECRET_BYTES], data[_SECRET_BYTES:]
    return bytes(a ^ b for a, b in zip(masked, pad, strict=True))


def _session(request: Request) -> Any:
    session = request.__dict__.get("session")
    if session is None:
        raise ImproperlyConfigured(
            "CSRF protection binds tokens to the session: put 'duck.sessions.middleware.SessionMiddleware' before "
            "'duck.middleware.csrf.CsrfViewMiddleware' in MIDDLEWARE."
        )
    return session


provide_request_attribute("csrf_token", get_token)


class CsrfViewMiddleware(MiddlewareMixin):
    """Refuse unsafe requests without a valid token (see the module docstring); one hook, run flat."""

    needs_event_loop = False

    def process_view(
        self, request: Request, view_func: Any, view_args: tuple[Any, ...], view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        """Django's hook: None lets the view run; a 403 response refuses the request."""
        if request.method in SAFE_METHODS or getattr(view_func, "csrf_exempt", False):
            return None
        if request.__dict__.get("_dont_enforce_csrf_checks"):  # duck.test's clients, unless enforce_csrf_checks
            return None
        if request.__dict__.get("auth") == "token":  # a valid bearer token, not the cookie, authenticated it
            return None
        reason = self.refusal(request)
        if reason is None:
            return None
        security_logger.warning("Forbidden (CSRF: %s): %s %s", reason, request.method, request.path)
        return csrf_failure(reason)

    def refusal(self, request: Request) -> str | None:
        """Why the request fails the checks, or None when it passes."""
        origin = request.headers.get("origin")
        if origin is not None:
            if not _origin_trusted(origin, request):
                return f"Origin {origin[:100]!r} is not this site and not in CSRF_TRUSTED_ORIGINS."
        elif request.is_secure():
            referer = request.headers.get("referer")
            if not referer:
                return "The request has no Referer (HTTPS requests must say which page they come from)."
            if not _origin_trusted(referer, request, https_only=True):
                return "Referer is not a page of this site and not in CSRF_TRUSTED_ORIGINS."
        secret = _session(request).get(CSRF_SESSION_KEY)
        if not isinstance(secret, str):
            return "No CSRF token in the session (it expired, or cookies are blocked): reload the page."
        token = self._submitted_token(request)
        if not token:
            return f"CSRF token missing (form field {settings.CSRF_FIELD_NAME} or header {settings.CSRF_HEADER_NAME})."
        unmasked = _unmask(token)
        try:
            expected = _unb64(secret)
        except (binascii.Error, ValueError):
            return "The session's CSRF secret is malformed: reload the page."
        if unmasked is None or not hmac.compare_digest(unmasked, expected):
            return "CSRF token incorrect: reload the page and try again."
        return None

    @staticmethod
    def _submitted_token(request: Request) -> str:
        if request.content_type in _FORM_TYPES:
            token = request.POST.get(settings.CSRF_FIELD_NAME, "")
            if token:
                return str(token)
        return str(request.headers.get(settings.CSRF_HEADER_NAME, ""))


def csrf_failure(reason: str) -> HttpResponse:
    """The 403 page: what failed, and what to do about it (never the expected token)."""
    return error_response(403, f"CSRF verification failed: {reason}")


def _normalized(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def _origin_trusted(url: str, request: Request, *, https_only: bool = False) -> bool:
    origin = _normalized(url)
    if origin is None or (https_only and origin[0] != "https"):
        return False
    own = _normalized(f"{request.scheme}://{request.host}")
    if origin == own:
        return True
    return any(origin == _normalized(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS)
