"""The WSGI front door (PEP 3333): ``environ`` → :class:`~duck.http.request.Request` → dispatcher → WSGI response.

Serve a project with any WSGI server::

    # mysite/wsgi.py
    from duck.wsgi import get_wsgi_application
    application = get_wsgi_application()

    $ DUCK_SETTINGS_MODULE=mysite.settings gunicorn mysite.wsgi:application

A request for a sync view runs on the server's own thread, start to end, without an event loop:
the thread is the request's, so the view (and any sync middleware) may block it, and there is no
hop to duck's thread pool (:func:`duck.utils.sync.run_inline`). That needs every middleware to run
without a loop: sync ones do, and async ones that say so (``needs_event_loop = False``; duck's
security, compression and static-files middleware do). Otherwise, and for async views, each server
thread keeps one event loop of its own and runs the request on it (creating a loop per request would
cost far more than the request); sync views then run in duck's thread pool, as under an async door.

WSGI cannot switch protocols, so a WebSocket route reached through it is answered with
501 Not Implemented and a body saying which servers can carry WebSockets.

WSGI has no lifespan either. ``ON_STARTUP`` runs in each process before its first request (so
in each gunicorn worker, also with ``--preload``, and never in the master); if it fails, that
request gets 500 and the next one tries again. ``ON_SHUTDOWN`` and closing the database
connections run when the process exits normally (``atexit``: gunicorn's graceful worker exit),
not when it is killed.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from duck.conf import settings
from duck.core.exception import error_response
from duck.core.handler import Handler, get_handler
from duck.core.lifecycle import close_databases_sync, run_shutdown_hooks, run_startup_hooks
from duck.core.project import load_project
from duck.exceptions import BadRequest, HttpError, RequestEntityTooLarge
from duck.http.body import SpooledBody
from duck.http.datastructures import Headers
from duck.http.proxy import apply_forwarded
from duck.http.request import Request
from duck.http.response import NO_BODY_STATUSES, HttpResponse, PlainTextResponse, UpgradeResponse
from duck.staticfiles.middleware import StaticFilesMiddleware
from duck.utils.sync import close_loop, run_inline

__all__ = ["WSGIHandler", "get_wsgi_application", "request_from_environ"]

StartResponse = Callable[..., Any]

logger = logging.getLogger("duck.wsgi")

# Bytes pulled from wsgi.input per read(): big enough for few calls, small enough to bound memory per read.
_READ_CHUNK = 64 * 1024
# Statuses whose responses must not describe content: the reference validator (wsgiref.validate)
# rejects a Content-Type on them, and RFC 9110 §15.3.5/§15.4.5 give them no content to describe.
_NO_CONTENT_TYPE_STATUSES = frozenset({204, 304})
# CGI names of the two headers that WSGI passes without the HTTP_ prefix (PEP 3333, "environ Variables").
_UNPREFIXED_HEADERS = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}

WEBSOCKET_OVER_WSGI_MESSAGE = (
    "WebSockets need duck's server (duck runserver) or an ASGI server (uvicorn, hypercorn, daphne); "
    "WSGI cannot carry them."
)


def get_wsgi_application() -> WSGIHandler:
    """The WSGI callable for the project named by ``DUCK_SETTINGS_MODULE``.

    Settings and the URL conf are loaded and checked here, so a wrong setting (``DEBUG = "False"``)
    or a broken view class stops the WSGI server at start with ``ImproperlyConfigured`` instead of
    failing requests later.
    """
    load_project()
    return WSGIHandler()


class WSGIHandler:
    """A PEP 3333 application that hands every request to duck's dispatcher."""

    def __init__(self, handler: Handler | None = None) -> None:
        self._handler = handler

    @property
    def handler(self) -> Handler:
        return self._handler if self._handler is not None else get_handler(inner_middleware=[StaticFilesMiddleware])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = request_from_environ(environ)
        except HttpError as exc:
            response = error_response(exc.status_code, exc.message, headers=exc.headers)
            return _start(response, None, environ, start_response)
        try:
            if not _process_hooks.started:
                _process_hooks.start(_thread_loops.get())
        except Exception:
            logger.exception("ON_STARTUP failed; answering 500 and trying again on the next request")
            request.close()
            return _start(error_response(500), None, environ, start_response)
        handler = self.handler
        try:
            if handler.can_run_inline(request):
                response = run_inline(handler.handle(request))
            else:
                response = _thread_loops.get().run_until_complete(handler.handle(request))
        except BaseException:  # the dispatcher only raises for what no response can express
            request.close()
            raise
        if isinstance(response, UpgradeResponse):
            response.close()
            response = PlainTextResponse(WEBSOCKET_OVER_WSGI_MESSAGE, status=501)
        return _start(response, request, environ, start_response)


def _start(
    response: HttpResponse, request: Request | None, environ: dict[str, Any], start_response: StartResponse
) -> _ResponseBody:
    """Send the status line and headers, and return the body iterable that the server drains."""
    status = response.status_code
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.header_list()]
    if status in _NO_CONTENT_TYPE_STATUSES:
        headers = [(name, value) for name, value in headers if name.lower() != "content-type"]
    # No body for HEAD (RFC 9110 §9.3.2) or for statuses that never have one; skipping it also
    # spares running a stream whose bytes would be thrown away.
    send_body = environ.get("REQUEST_METHOD") != "HEAD" and status not in NO_BODY_STATUSES
    body = _ResponseBody(response, request, response.iter_sync() if send_body else iter(()))
    try:
        start_response(f"{status} {response.reason_phrase}", headers)
    except BaseException:
        body.close()  # the server will never see the iterable, so it cannot close it
        raise
    return body


class _ResponseBody:
    """The WSGI result: streams the response's chunks, and releases everything on ``close()``.

    PEP 3333 servers call ``close()`` once done, including when the client went away mid-stream.
    """

    def __init__(self, response: HttpResponse, request: Request | None, chunks: Iterator[bytes]) -> None:
        self._response = response
        self._request = request
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        try:
            close_chunks = getattr(self._chunks, "close", None)
            if close_chunks is not None:
                close_chunks()  # runs the stream's cleanup (finally blocks) if it was left unfinished
        finally:
            try:
                self._response.close()
            finally:
                if self._request is not None:
                    self._request.close()


# -- environ → Request ------------------------------------------------------------------------
def request_from_environ(environ: dict[str, Any]) -> Request:
    """Build a :class:`Request` from a WSGI ``environ``, reading the body from ``wsgi.input``.

    Raises:
        BadRequest: an undecodable path, a malformed Content-Length, or a truncated body.
        RequestEntityTooLarge: a body larger than ``SERVER_MAX_BODY_SIZE`` (refused before reading it).
    """
    headers = _headers(environ)
    request = Request(
        environ["REQUEST_METHOD"],
        _decode_path(environ.get("PATH_INFO", "")) or "/",
        query_string=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=_read_body(environ),
        client=_address(environ.get("REMOTE_ADDR"), environ.get("REMOTE_PORT")),
        server=_address(environ.get("SERVER_NAME"), environ.get("SERVER_PORT")),
        scheme=environ.get("wsgi.url_scheme", "http"),
        http_version=environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        root_path=_decode_path(environ.get("SCRIPT_NAME", "")),
    )
    apply_forwarded(request)  # TRUSTED_PROXIES: the client, scheme and host the proxy saw
    return request


def _decode_path(value: str) -> str:
    """PEP 3333 hands over the raw path bytes decoded as latin-1; URLs are UTF-8 (RFC 3986 §2.5)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadRequest("The request path is not valid UTF-8.") from None


def _headers(environ: dict[str, Any]) -> Headers:
    pairs: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            pairs.append((key[5:].replace("_", "-").lower(), value))
        elif key in _UNPREFIXED_HEADERS and value:
            pairs.append((_UNPREFIXED_HEADERS[key], value))
    return Headers(pairs)


def _address(host: str | None, port: str | None) -> tuple[str, int] | None:
    if not host:
        return None
    try:
        return host, int(port or 0)
    except ValueError:
        return host, 0


def _read_body(environ: dict[str, Any]) -> bytes | SpooledBody:
    """Read ``wsgi.input`` (to a temporary file past DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    limit = settings.SERVER_MAX_BODY_SIZE
    stream = environ["wsgi.input"]
    raw_length = environ.get("CONTENT_LENGTH", "")
    if not raw_length:
        # Without a length PEP 3333 allows no read, except when the server vouches that the
        # stream ends at the body's end (gunicorn's chunked bodies: wsgi.input_terminated).
        return _read_until_eof(stream, limit) if environ.get("wsgi.input_terminated") else b""
    if not (raw_length.isascii() and raw_length.isdigit()):
        raise BadRequest("Malformed Content-Length header.")
    length = int(raw_length)
    if length > limit:
        raise RequestEntityTooLarge(f"Request body exceeds SERVER_MAX_BODY_SIZE ({limit} bytes).")
    body = SpooledBody.from_settings()
    try:
        while body.size < length:
            chunk = stream.read(min(length - body.size, _READ_CHUNK))
            if not chunk:
                raise BadRequest("The request body is shorter than its Content-Length.")
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    return body.finished()


def _read_until_eof(stream: Any, limit: int) -> bytes | SpooledBody:
    body = SpooledBody.from_settings()
    try:
        while chunk := stream.read(_READ_CHUNK):
            if body.size + len(chunk) > limit:
                raise RequestEntityTooLarge(f"Request body exceeds SERVER_MAX_BODY_SIZE ({limit} bytes).")
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    return body.finished()


# -- lifecycle hooks, once per process ---------------------------------------------------------
class _ProcessHooks:
    """Runs ON_STARTUP once per process (a forked child runs it again) and ON_SHUTDOWN at its exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._exit_registered = False

    @property
    def started(self) -> bool:
        return self._pid == os.getpid()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self.started:
                return
            loop.run_until_complete(run_startup_hooks())
            self._pid = os.getpid()
            if not self._exit_registered:
                atexit.register(self._at_exit)
                self._exit_registered = True

    def _at_exit(self) -> None:
        if not self.started:  # a forked child that never served inherited this registration
            return
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(run_shutdown_hooks())
        finally:
            close_loop(loop)
            close_databases_sync()


_process_hooks = _ProcessHooks()


# -- one event loop per server thread ----------------------------------------------------------
class _LoopHolder:
    """Owns one thread's event loop; the loop is closed when the holder is collected or at exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # The holder lives in thread-local storage, which is dropped when its thread ends;
        # finalize also runs at interpreter exit for threads that never end (the main thread).
        weakref.finalize(self, close_loop, self.loop)


class _ThreadLoops(threading.local):
    """The event loop of the current thread, created on first use and kept for the thread's life."""

    holder: _LoopHolder | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        if self.holder is None or self.holder.loop.is_closed():
            self.holder = _LoopHolder()
        return self.holder.loop


# Module-level: one loop per thread, however many WSGI applications the process holds.
_thread_loops = _ThreadLoops()
