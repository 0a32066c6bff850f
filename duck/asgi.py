"""The ASGI 3 front door: ``scope``/``receive``/``send`` ⇄ :class:`~duck.http.request.Request` and responses.

Serve a project with any ASGI server::

    # mysite/asgi.py
    from duck.asgi import get_asgi_application
    application = get_asgi_application()

    $ DUCK_SETTINGS_MODULE=mysite.settings uvicorn mysite.asgi:application

Three scope types are handled:

``http``
    The body is read (refused with 413 above ``SERVER_MAX_BODY_SIZE``), the dispatcher answers, and
    the response goes out as ``http.response.start`` plus body chunks. While a streaming body is
    sent, ``receive()`` is watched for ``http.disconnect`` so the stream stops when the client leaves.
``websocket``
    The upgrade request goes through the same dispatcher (method ``GET``, the upgrade headers kept).
    A WebSocket route answers with an :class:`~duck.http.response.UpgradeResponse`; its ``run_asgi``
    (set by ``duck.contrib.websockets``) then owns the connection, talking ASGI itself. Anything
    else (no such route, an error, a route not wired for ASGI) rejects the handshake, with the
    HTTP response itself when the server offers the ``websocket.http.response`` extension.
``lifespan``
    Startup loads the settings and the URL conf, then runs ``ON_STARTUP`` and the ``on_startup``
    hooks; any failure is reported as ``lifespan.startup.failed`` with the error, so the server
    refuses to start. Shutdown runs ``on_shutdown`` and ``ON_SHUTDOWN``, cancels background tasks
    and closes the database connections.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, MutableMapping
from contextlib import aclosing
from typing import Any

from duck.conf import settings
from duck.core.exception import error_response
from duck.core.handler import Handler, get_handler
from duck.core.lifecycle import close_databases, run_shutdown_hooks, run_startup_hooks
from duck.core.project import load_project
from duck.exceptions import BadRequest, HttpError, RequestEntityTooLarge
from duck.http.body import SpooledBody
from duck.http.datastructures import Headers
from duck.http.proxy import apply_forwarded
from duck.http.request import Request
from duck.http.response import NO_BODY_STATUSES, HttpResponse, PlainTextResponse, UpgradeResponse
from duck.http.upgrade import Receive, Scope, Send
from duck.staticfiles.middleware import StaticFilesMiddleware
from duck.utils.asyncio import set_server_loop, shutdown_tasks
from duck.utils.sync import is_async_callable, run_sync

__all__ = ["ASGIHandler", "get_asgi_application", "request_from_scope"]

ASGIMessage = MutableMapping[str, Any]
Hook = Callable[[], Any]

logger = logging.getLogger("duck.asgi")

# Close code used to refuse a WebSocket handshake: 1008 "policy violation" is RFC 6455 §7.4.1's
# generic refusal. Sent before accept, servers turn it into an HTTP 403.
WEBSOCKET_DENIED_CLOSE_CODE = 1008

UPGRADE_NOT_OFFERED_MESSAGE = (
    "This WebSocket route was reached as a plain HTTP request: the ASGI server did not offer the upgrade "
    "(is its WebSocket support installed and enabled?)."
)


class _DisconnectedDuringBody(Exception):
    """The client disconnected before its request body was complete: there is nobody to answer."""


def get_asgi_application(*, on_startup: Iterable[Hook] = (), on_shutdown: Iterable[Hook] = ()) -> ASGIHandler:
    """The ASGI callable for the project named by ``DUCK_SETTINGS_MODULE``.

    Args:
        on_startup: callables (sync or async, no arguments) run at lifespan startup, after settings
            and URL conf have loaded; an exception fails the startup.
        on_shutdown: callables run at lifespan shutdown.

    Settings and the URL conf are loaded and checked here, so a wrong setting or a broken view
    class stops the ASGI server at start (the lifespan startup checks them again).
    """
    load_project()
    return ASGIHandler(on_startup=on_startup, on_shutdown=on_shutdown)


class ASGIHandler:
    """An ASGI 3 application that hands every request to duck's dispatcher."""

    def __init__(
        self, handler: Handler | None = None, *, on_startup: Iterable[Hook] = (), on_shutdown: Iterable[Hook] = ()
    ) -> None:
        self._handler = handler
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)

    @property
    def handler(self) -> Handler:
        return self._handler if self._handler is not None else get_handler(inner_middleware=[StaticFilesMiddleware])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            # The ASGI spec asks apps to raise on scope types they do not know.
            raise ValueError(f"duck's ASGI application does not handle {kind!r} scopes.")

    # -- http ------------------------------------------------------------------------------------
    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        head_only = scope["method"] == "HEAD"
        try:
            body = await _read_body(scope, receive)
        except _DisconnectedDuringBody:
            return
        except HttpError as exc:
            refusal = error_response(exc.status_code, exc.message, headers=exc.headers)
            await _send_response(refusal, head_only, send, receive)
            return
        request = request_from_scope(scope, body)
        try:
            response = await self.handler.handle(request)
            if isinstance(response, UpgradeResponse):
                response.close()
                response = PlainTextResponse(UPGRADE_NOT_OFFERED_MESSAGE, status=501)
            await _send_response(response, head_only, send, receive)
        finally:
            request.close()

    # -- websocket -------------------------------------------------------------------------------
    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = request_from_scope(scope, method="GET")
        _ensure_upgrade_headers(request.headers)
        try:
            response = await self.handler.handle(request)
            try:
                # The seam for duck.contrib.websockets (duck.http.upgrade): the upgrade runs this one
                # connection as an ASGI app (it receives websocket.connect and accepts).
                if isinstance(response, UpgradeResponse):
                    await response.upgrade.run_asgi(scope, receive, send)
                else:
                    await _deny_websocket(response, scope, receive, send)
            finally:
                response.close()
        finally:
            request.close()

    # -- lifespan --------------------------------------------------------------------------------
    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                error = await _run_hooks([load_project, _own_loop, run_startup_hooks, *self.on_startup], "startup")
                await send(_lifespan_reply("lifespan.startup", error))
                if error is not None:
                    return
            elif message["type"] == "lifespan.shutdown":
                hooks = [*self.on_shutdown, run_shutdown_hooks, shutdown_tasks, close_databases]
                error = await _run_hooks(hooks, "shutdown")
                await send(_lifespan_reply("lifespan.shutdown", error))
                return


# -- scope → Request ---------------------------------------------------------------------------
def request_from_scope(scope: Scope, body: bytes | SpooledBody = b"", *, method: str | None = None) -> Request:
    """Build a :class:`Request` from an ASGI ``http`` or ``websocket`` scope.

    ``Request.path`` is relative to ``root_path``, as PATH_INFO is to SCRIPT_NAME under WSGI, so a
    project mounted under a prefix routes the same either way. Servers differ on whether the
    scope's ``path`` includes ``root_path`` (recent uvicorn does); both forms are accepted.
    """
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        path = path[len(root_path) :] or "/"
    request = Request(
        method or scope["method"],
        path,
        query_string=bytes(scope.get("query_string", b"")).decode("latin-1"),
        headers=Headers.from_raw(scope.get("headers", ())),
        body=body,
        client=_address(scope.get("client")),
        server=_address(scope.get("server")),
        scheme=scope.get("scheme", "http"),
        http_version=scope.get("http_version", "1.1"),
        root_path=root_path,
        scope=scope,
    )
    apply_forwarded(request)  # TRUSTED_PROXIES: the client, scheme and host the proxy saw
    return request


def _address(value: Any) -> tuple[str, int] | None:
    # Unix-socket servers report (path, None): there is no TCP address to give.
    if not value or value[1] is None:
        return None
    return str(value[0]), int(value[1])


def _ensure_upgrade_headers(headers: Headers) -> None:
    """A websocket scope *is* an upgrade; keep ``request.is_websocket()`` true even if a server dropped them."""
    if (headers.get("upgrade") or "").lower() != "websocket":
        headers["upgrade"] = "websocket"
    if "upgrade" not in headers.get("connection", "").lower():
        headers["connection"] = "Upgrade"


async def _read_body(scope: Scope, receive: Receive) -> bytes | SpooledBody:
    """Collect the request body (to a temporary file past DATA_UPLOAD_MAX_MEMORY_SIZE), refusing it
    (413) as soon as it is known to exceed SERVER_MAX_BODY_SIZE."""
    limit = settings.SERVER_MAX_BODY_SIZE
    declared = _declared_length(scope)
    if declared is not None and declared > limit:
        raise RequestEntityTooLarge(f"Request body exceeds SERVER_MAX_BODY_SIZE ({limit} bytes).")
    body = SpooledBody.from_settings()
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _DisconnectedDuringBody
            chunk = message.get("body", b"")
            if body.size + len(chunk) > limit:  # a chunked body carries no length up front
                raise RequestEntityTooLarge(f"Request body exceeds SERVER_MAX_BODY_SIZE ({limit} bytes).")
            body.write(chunk)
            if not message.get("more_body", False):
                return body.finished()
    except BaseException:
        body.close()
        raise


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == b"content-length":
            text = bytes(value).strip()
            if not text.isdigit():
                raise BadRequest("Malformed Content-Length header.")
            return int(text)
    return None


# -- Response → send ---------------------------------------------------------------------------
async def _send_response(response: HttpResponse, head_only: bool, send: Send, receive: Receive) -> None:
    """Send ``response``, then release it; HEAD and no-body statuses send headers only (RFC 9110 §9.3.2)."""
    try:
        await send({"type": "http.response.start", "status": response.status_code, "headers": response.header_list()})
        if head_only or response.status_code in NO_BODY_STATUSES:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif not response.streaming:
            await send({"type": "http.response.body", "body": response.content, "more_body": False})
        else:
            await _stream(response, send, receive)
    finally:
        response.close()


async def _stream(response: HttpResponse, send: Send, receive: Receive) -> None:
    """Send a streaming body while watching for ``http.disconnect``; whichever ends first stops the other."""
    pump = asyncio.ensure_future(_pump(response, send))
    watch = asyncio.ensure_future(_wait_for_disconnect(receive))
    try:
        await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pump, watch):
            task.cancel()
        await asyncio.gather(pump, watch, return_exceptions=True)
    if not pump.cancelled() and pump.exception() is not None:
        # Headers are already out, so the status cannot change: re-raise so the server aborts the
        # connection and the client sees a truncated body rather than a complete-looking one.
        raise pump.exception()  # type: ignore[misc]


async def _pump(response: HttpResponse, send: Send) -> None:
    try:
        # aclosing: a cancelled pump (client gone) still runs the stream's cleanup code.
        async with aclosing(response.iter_async()) as chunks:
            async for chunk in chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        # Some servers raise from send() once the client is gone (uvicorn's ClientDisconnected is
        # an OSError): that is a disconnect, not an application error.
        return


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


# -- websocket refusal -------------------------------------------------------------------------
async def _deny_websocket(response: HttpResponse, scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse the handshake, as an HTTP response when the server supports it, else with a close."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client left before the handshake completed
    if response.status_code >= 400 and "websocket.http.response" in scope.get("extensions", {}):
        # An error says why (404, 403, ...); a plain route's 200 would only confuse the client.
        start = {"type": "websocket.http.response.start", "status": response.status_code}
        await send({**start, "headers": response.header_list()})
        body = b"" if response.streaming else response.content
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
        return
    await send({"type": "websocket.close", "code": WEBSOCKET_DENIED_CLOSE_CODE})


# -- lifespan helpers --------------------------------------------------------------------------
async def _own_loop() -> None:
    """Make this loop the server's, so create_task() from sync code and server-owned tasks land here."""
    set_server_loop(asyncio.get_running_loop())


async def _run_hooks(hooks: Iterable[Hook], phase: str) -> BaseException | None:
    """Run hooks in order; the first exception stops the phase and is returned for reporting."""
    for hook in hooks:
        try:
            if is_async_callable(hook):
                await hook()
            else:
                await run_sync(hook)
        except Exception as exc:
            logger.error("Lifespan %s failed in %r.", phase, hook, exc_info=exc)
            return exc
    return None


def _lifespan_reply(prefix: str, error: BaseException | None) -> ASGIMessage:
    if error is None:
        return {"type": f"{prefix}.complete"}
    return {"type": f"{prefix}.failed", "message": f"{type(error).__name__}: {error}"}
