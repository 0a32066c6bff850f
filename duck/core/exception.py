"""Exceptions become responses here, and only here (for HTTP requests).

``HttpError`` subclasses carry their own status and a short client-safe message; anything
else is a 500 that is logged with its traceback. With DEBUG on, 404 and 500 get technical
pages (duck/core/debug.py); with DEBUG off, nothing internal reaches the client: every error
status gets the project's ``<status>.html`` template or duck's own plain page (duck/core/error_pages.py).
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Iterable

from duck.conf import settings
from duck.core.debug import technical_404, technical_500
from duck.core.error_pages import error_page
from duck.core.schema_hint import log_schema_hint
from duck.db.errors import unavailable_error
from duck.exceptions import HttpError, Resolver404, SuspiciousOperation
from duck.http.request import Request
from duck.http.response import HttpResponse

logger = logging.getLogger("duck.request")
security_logger = logging.getLogger("duck.security")

_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1>{body}</body></html>"
)


def response_for_exception(request: Request, exc: BaseException) -> HttpResponse:
    """Map ``exc`` raised while handling ``request`` to a response."""
    if not isinstance(exc, HttpError):
        exc = unavailable_error(exc) or exc  # a database that is down or saturated: 503, not a bug
    if isinstance(exc, HttpError):
        if isinstance(exc, SuspiciousOperation):
            security_logger.warning("%s: %s", type(exc).__name__, exc.message)
        elif exc.status_code >= 500:
            cause = exc.__cause__
            detail = f" ({type(cause).__name__}: {_first_line(cause)})" if cause is not None else ""
            logger.error("%s %s: %s%s", request.method, request.path, exc.message, detail)
        if isinstance(exc, Resolver404) and _debug():
            return technical_404(request, exc)
        return error_response(exc.status_code, exc.message, headers=exc.headers, request=request)
    logger.error("Internal Server Error: %s %s", request.method, request.path, exc_info=exc)
    log_schema_hint(logger, exc)
    if _debug():
        return _technical_500(request, exc)
    return error_response(500, request=request)


def error_response(
    status: int,
    message: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    request: Request | None = None,
) -> HttpResponse:
    """The page for an error ``status``: the project's ``<status>.html``, else duck's own.

    ``message`` must be safe to show to the client; ``request``, when given, is the template's.
    """
    return HttpResponse(error_page(status, message, request), status=status, headers=headers)


def _technical_500(request: Request, exc: BaseException) -> HttpResponse:
    """The DEBUG page; should building it fail, the plain traceback still reaches the developer."""
    try:
        return technical_500(request, exc)
    except Exception:
        logger.exception(
            "The DEBUG error page for %s %s failed; showing the plain traceback", request.method, request.path
        )
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        body = f"<pre>{html.escape(trace)}</pre>"
        return HttpResponse(_PAGE.format(title="500 Internal Server Error", body=body), status=500)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _debug() -> bool:
    try:
        return bool(settings.DEBUG)
    except Exception:  # settings themselves broken: never show internals
        return False
