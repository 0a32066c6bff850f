"""Serve static files while developing: the view ``serve()`` and the settings that switch it on.

In production a front server (nginx) serves ``STATIC_ROOT`` after ``duck collectstatic``;
this module is for ``duck runserver`` with DEBUG on (or ``SERVE_STATIC``; see
:class:`~duck.staticfiles.middleware.StaticFilesMiddleware`), but it still speaks
proper HTTP: validators and 304, single byte ranges, HEAD, and files streamed rather than read whole.

Pre-compressed variants (``app.js.br``, ``.zst``, ``.gz`` next to ``app.js``, as ``collectstatic``
writes them with ``STATICFILES_COMPRESS``) are sent to clients whose Accept-Encoding takes them, with
``Content-Encoding``, the original file's Content-Type and ``Vary: Accept-Encoding``. The variant is a
representation of its own (RFC 9110 §8.4): its own ETag, and byte ranges count its bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from duck.conf import settings
from duck.exceptions import Http404, ImproperlyConfigured, MethodNotAllowed, RangeNotSatisfiable
from duck.http.compression import CODINGS, FILE_SUFFIXES, negotiate
from duck.http.request import Request
from duck.http.response import FileResponse, HttpResponse
from duck.staticfiles.conditional import (
    content_type_for,
    etag_for,
    http_date,
    if_range_allows,
    is_not_modified,
    parse_range,
)
from duck.staticfiles.finders import find, safe_relative_path

__all__ = ["serve", "should_serve_static", "static_prefix"]

_ALLOWED_METHODS = ("GET", "HEAD")


class _RangeFileResponse(FileResponse):
    """A 206 carrying bytes ``first..last`` of an open file."""

    def __init__(self, file: IO[bytes], first: int, last: int, size: int, content_type: str) -> None:
        self._remaining = last - first + 1
        file.seek(first)
        super().__init__(file, content_type=content_type, status=206)
        self.headers["content-length"] = str(self._remaining)
        self.headers["content-range"] = f"bytes {first}-{last}/{size}"

    def _read_chunks(self) -> Any:
        remaining = self._remaining
        while remaining > 0:
            chunk = self.file.read(min(self.chunk_size, remaining))
            if not chunk:  # the file shrank under us: stop rather than pad
                return
            remaining -= len(chunk)
            yield chunk


def _locate(path: str, document_root: str | os.PathLike[str] | None) -> Path | None:
    if document_root is None:
        return find(path)
    relative = safe_relative_path(path)
    if relative is None:
        return None
    candidate = Path(document_root) / relative
    return candidate if candidate.is_file() else None


def _open(located: Path, path: str) -> tuple[IO[bytes], os.stat_result]:
    try:
        file = open(located, "rb")  # noqa: SIM115 - closed by the response, or below
    except OSError:  # removed or unreadable since it was found
        raise Http404(f"Static file {path!r} could not be found.") from None
    # Stat the open file, so the validators describe exactly the bytes that will be sent.
    return file, os.fstat(file.fileno())


class _Variant:
    """The representation chosen for a request: the file itself or a pre-compressed sibling."""

    __slots__ = ("coding", "path", "varies")

    def __init__(self, path: Path, coding: str | None, varies: bool) -> None:
        self.path = path
        self.coding = coding  # None: the file as it is
        self.varies = varies  # pre-compressed siblings exist: the answer depends on Accept-Encoding


def _choose_variant(request: Request, located: Path) -> _Variant:
    """Negotiate among the file and its fresh pre-compressed siblings (at least as new as the file)."""
    try:
        mtime = located.stat().st_mtime_ns
    except OSError:
        return _Variant(located, None, False)
    fresh: dict[str, Path] = {}
    for coding in _static_codings():
        sibling = located.with_name(located.name + FILE_SUFFIXES[coding])
        try:
            if sibling.stat().st_mtime_ns >= mtime:  # an older sibling is stale: the file was edited since
                fresh[coding] = sibling
        except OSError:
            continue
    if not fresh:
        return _Variant(located, None, False)
    chosen = negotiate(request.headers.get("accept-encoding"), list(fresh))
    return _Variant(fresh[chosen] if chosen else located, chosen, True)


def _static_codings() -> list[str]:
    """The codings served from pre-compressed files, best first (no library is needed to send them)."""
    configured = settings.COMPRESSION_ENCODINGS
    if configured is None or isinstance(configured, str):
        return list(CODINGS)
    return [coding for coding in (str(c).strip().lower() for c in configured) if coding in FILE_SUFFIXES]


def serve(request: Request, path: str, document_root: str | os.PathLike[str] | None = None) -> HttpResponse:
    """Answer ``request`` with the static file ``path`` (relative to ``STATIC_URL``).

    Args:
        request: a GET or HEAD request.
        path: the file's path below ``STATIC_URL``, e.g. ``"css/style.css"``.
        document_root: serve from this folder instead of the ``STATICFILES_DIRS`` finders.

    Returns:
        200 (streamed), 206 for a satisfiable single Range, 304 when the client's copy is
        current, 416 for a Range past the end; HEAD gets the headers of the 200.

    Raises:
        Http404: missing file, a folder, or a path that could leave the static folders.
        MethodNotAllowed: any method but GET and HEAD.
    """
    if request.method not in _ALLOWED_METHODS:
        raise MethodNotAllowed(_ALLOWED_METHODS)
    located = _locate(path, document_root)
    if located is None:
        raise Http404(f"Static file {path!r} could not be found.")
    variant = _choose_variant(request, located)
    file, stat = _open(variant.path, path)
    try:
        response = _respond(request, file, stat, content_type_for(path), variant)
    except BaseException:
        file.close()
        raise
    if not isinstance(response, FileResponse):
        file.close()  # 304, 416 and HEAD carry no body
    return response


def _respond(
    request: Request, file: IO[bytes], stat: os.stat_result, content_type: str, variant: _Variant
) -> HttpResponse:
    etag = etag_for(stat)
    if variant.coding is not None:
        etag = f'{etag[:-1]}-{variant.coding}"'  # never equal to the identity file's tag
    headers = {
        "etag": etag,
        "last-modified": http_date(stat.st_mtime),
        # Revalidate on every use: after an edit the browser gets the new file at once, and the
        # validators above make an unchanged file cost one 304.
        "cache-control": "no-cache",
        "accept-ranges": "bytes",
        "x-content-type-options": "nosniff",
    }
    if variant.varies:
        headers["vary"] = "Accept-Encoding"
    if variant.coding is not None:
        headers["content-encoding"] = variant.coding
    get = request.headers.get
    if is_not_modified(get("if-none-match"), get("if-modified-since"), etag, stat.st_mtime):
        response = HttpResponse(status=304)
        del response.headers["content-type"]  # a 304 has no body to describe
        return _with_headers(response, headers)
    if request.method == "HEAD":
        # Range applies to GET only (RFC 9110 section 14.2): HEAD describes the full 200.
        response = HttpResponse(b"", content_type=content_type)
        return _with_headers(response, {**headers, "content-length": str(stat.st_size)})
    response = _body_response(request, file, stat, content_type, etag)
    if response.status_code == 416:
        headers.pop("content-encoding", None)  # its empty body is not the encoded representation
    return _with_headers(response, headers)


def _body_response(
    request: Request, file: IO[bytes], stat: os.stat_result, content_type: str, etag: str
) -> HttpResponse:
    range_header = request.headers.get("range")
    if range_header is not None and if_range_allows(request.headers.get("if-range"), etag, stat.st_mtime):
        try:
            byte_range = parse_range(range_header, stat.st_size)
        except RangeNotSatisfiable as exc:
            # Answered here rather than by the dispatcher: the 416 keeps the file's validators.
            response = HttpResponse(b"", status=exc.status_code, content_type="text/plain; charset=utf-8")
            for name, value in exc.headers:
                response.headers[name] = value
            return response
        if byte_range is not None:
            return _RangeFileResponse(file, byte_range[0], byte_range[1], stat.st_size, content_type)
    return FileResponse(file, content_type=content_type)


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response.headers[name] = value
    return response


def should_serve_static(request: Request | None = None) -> bool:
    """Whether this process serves ``STATIC_URL`` itself.

    ``SERVE_STATIC`` decides; its default None means "when DEBUG is on". ``request`` is
    accepted so the decision can depend on it later without changing the signature.
    """
    serve_static = settings.SERVE_STATIC
    return bool(settings.DEBUG if serve_static is None else serve_static)


def static_prefix() -> str | None:
    """The path prefix of ``STATIC_URL`` (``"/static/"``), or None when it names another host.

    Raises:
        ImproperlyConfigured: STATIC_URL is ``"/"`` or relative, which would hide every route.
    """
    static_url = str(settings.STATIC_URL or "")
    parts = urlsplit(static_url)
    if parts.scheme or parts.netloc or not static_url:
        return None  # a CDN or another host serves the files
    if not static_url.startswith("/") or static_url.strip("/") == "":
        raise ImproperlyConfigured(
            f"STATIC_URL must be a path prefix such as '/static/' or a full URL, not {static_url!r}."
        )
    return static_url if static_url.endswith("/") else static_url + "/"
