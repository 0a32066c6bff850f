"""HTTP for views: the request, the responses, and the errors that become responses.

The names users type first, as in Django and upstream Duck::

    from duck.http import Http404, HttpResponse, JsonResponse

The modules below (``request``, ``response``, ``datastructures``...) stay importable for the
rest; this face re-exports what a view needs.
"""

from __future__ import annotations

from duck.exceptions import BadRequest, Http404, PermissionDenied, SuspiciousOperation
from duck.http.datastructures import Headers, MultiDict
from duck.http.request import Request
from duck.http.response import (
    FileResponse,
    HTMLResponse,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseGone,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from duck.http.uploadedfile import UploadedFile

__all__ = [
    "BadRequest",
    "FileResponse",
    "HTMLResponse",
    "Headers",
    "Http404",
    "HttpResponse",
    "HttpResponseBadRequest",
    "HttpResponseForbidden",
    "HttpResponseGone",
    "HttpResponseNotAllowed",
    "HttpResponseNotFound",
    "HttpResponsePermanentRedirect",
    "HttpResponseRedirect",
    "HttpResponseServerError",
    "JsonResponse",
    "MultiDict",
    "PermissionDenied",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "StreamingResponse",
    "SuspiciousOperation",
    "UploadedFile",
]
