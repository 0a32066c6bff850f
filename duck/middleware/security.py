"""``SecurityMiddleware``: the response headers that close the browser's common holes, and HTTPS.

::

    MIDDLEWARE = ["duck.middleware.security.SecurityMiddleware", ...]   # first: it also redirects

=====================================  ==========================================  =====================
header                                 setting                                     default
=====================================  ==========================================  =====================
X-Content-Type-Options: nosniff        ``SECURE_CONTENT_TYPE_NOSNIFF``             on
Referrer-Policy                        ``SECURE_REFERRER_POLICY``                  same-origin
X-Frame-Options                        ``X_FRAME_OPTIONS``                         DENY
Cross-Origin-Opener-Policy             ``SECURE_CROSS_ORIGIN_OPENER_POLICY``       same-origin
Content-Security-Policy(-Report-Only)  ``CONTENT_SECURITY_POLICY(_REPORT_ONLY)``   none
Strict-Transport-Security (HTTPS)      ``SECURE_HSTS_SECONDS`` (+ subdomains,      none
                                       preload)
=====================================  ==========================================  =====================

A header the view set itself is left alone. With ``SECURE_SSL_REDIRECT`` a plain-HTTP request is
redirected (301) to the same URL over https (WebSocket handshakes are not redirected: browsers do
not follow redirects there, and an https page can only open wss:// anyway). Behind a proxy that
terminates TLS, ``TRUSTED_PROXIES`` must be set, or every request would look like plain HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duck.conf import settings
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request
from duck.http.response import HttpResponse, HttpResponsePermanentRedirect

__all__ = ["SecurityMiddleware"]


class SecurityMiddleware(MiddlewareMixin):
    """Add the security headers and redirect to HTTPS (see the module docstring)."""

    needs_event_loop = False  # its hooks await nothing

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        super().__init__(get_response)
        self.headers = _static_headers()  # read once, when the chain is built
        self.hsts = _hsts_value()
        self.redirect = bool(settings.SECURE_SSL_REDIRECT)
        if not self.redirect:
            self.process_request = None  # type: ignore[assignment]  # nothing to do before the view

    async def process_request(self, request: Request) -> HttpResponse | None:
        if not request.is_secure() and not request.is_websocket():
            return HttpResponsePermanentRedirect(f"https://{request.host}{request.get_full_path()}")
        return None

    async def process_response(self, request: Request, response: HttpResponse) -> HttpResponse:
        headers = response.headers
        headers.add_missing(self.headers)
        if self.hsts and request.is_secure() and "strict-transport-security" not in headers:
            headers["strict-transport-security"] = self.hsts
        return response


def _static_headers() -> list[tuple[str, str]]:
    headers = []
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("x-content-type-options", "nosniff"))
    for name, value in (
        ("referrer-policy", settings.SECURE_REFERRER_POLICY),
        ("x-frame-options", settings.X_FRAME_OPTIONS),
        ("cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
        ("content-security-policy", settings.CONTENT_SECURITY_POLICY),
        ("content-security-policy-report-only", settings.CONTENT_SECURITY_POLICY_REPORT_ONLY),
    ):
        if value:
            headers.append((name, str(value)))
    return headers


def _hsts_value() -> str | None:
    seconds = int(settings.SECURE_HSTS_SECONDS)
    if seconds <= 0:
        return None
    value = f"max-age={seconds}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return value
