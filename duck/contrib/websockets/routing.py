"""The Starlette/Ravyn/FastAPI face: ``@websocket(path)`` handlers that talk to a :class:`WebSocket`.

::

    from duck.contrib.websockets import websocket, WebSocket, WebSocketDisconnect

    @websocket("/ws/{client_id}")
    async def chat_socket(websocket: WebSocket, client_id: str) -> None:
        await websocket.accept()
        try:
            while True:
                data = await websocket.receive_text()
                await websocket.send_text(f"Message from {client_id}: {data}")
        except WebSocketDisconnect:
            print(f"Client {client_id} disconnected")

    urlpatterns = [chat_socket]          # the decorated handler is a route

The decorated handler is a :class:`WebSocketRoute`, a :class:`~duck.urls.URLPattern`, so it
goes straight into ``urlpatterns`` (or an ``include()``); called, it still calls the handler.
Path parameters are passed by name to the parameters the handler declares (all of them to a
``**kwargs``); every one is also in ``websocket.path_params``.

The handler owns the handshake: it calls ``accept()``, or ``close()`` to refuse (403). What
happens when it ends is the connection core's rule, on duck's server and under ASGI alike:

- never accepted: the handshake is refused with 403 (the client is not left hanging);
- returned with the connection open: closed with 1000;
- raised: closed with 1011, and the error is logged (never sent to the client). A
  :class:`WebSocketDisconnect` escaping the handler is not an error: the client left.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

from duck.auth.decorators import refusal_for_anonymous
from duck.contrib.websockets.connection import ConnectionState, Message, WebSocketConnection
from duck.contrib.websockets.enums import CloseCode
from duck.contrib.websockets.handshake import check_handshake
from duck.contrib.websockets.options import face_options
from duck.contrib.websockets.upgrade import mark_websocket_view, upgrade_response
from duck.exceptions import ConnectionClosed, ImproperlyConfigured, WebSocketDisconnect
from duck.http.datastructures import Headers, MultiDict
from duck.http.request import Request
from duck.http.response import HttpResponse, compact_json
from duck.urls import RoutePattern, URLPattern
from duck.utils.sync import is_async_callable

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketRoute", "WebSocketState", "websocket"]

Endpoint = Callable[..., Any]


class WebSocketState(enum.IntEnum):
    """Where a side of the connection stands (Starlette's names)."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2


_CLIENT_STATES = {
    ConnectionState.CONNECTING: WebSocketState.CONNECTING,
    ConnectionState.OPEN: WebSocketState.CONNECTED,
    ConnectionState.CLOSED: WebSocketState.DISCONNECTED,
}


class WebSocket:
    """One connection, as a Starlette/Ravyn/FastAPI handler sees it.

    Every ``receive_*`` raises :class:`WebSocketDisconnect` (with the close ``code`` and
    ``reason``) once the client has gone, and so does every ``send_*``. A message of the other
    kind than asked for (binary to ``receive_text``, text to ``receive_bytes``) closes the
    connection with 1003, "unsupported data" (RFC 6455 §7.4.1), and raises WebSocketDisconnect.

    Attributes:
        connection: the underlying :class:`~duck.contrib.websockets.connection.WebSocketConnection`.
        request: the upgrade request.
    """

    __slots__ = ("_app_closed", "connection")

    def __init__(self, connection: WebSocketConnection) -> None:
        self.connection = connection
        self._app_closed = False

    # -- the handshake request ---------------------------------------------------------------------
    @property
    def request(self) -> Request:
        return self.connection.request

    @property
    def path_params(self) -> dict[str, Any]:
        """The route's parameters, converted (``{client_id:int}`` gives an int)."""
        return self.request.path_params

    @property
    def query_params(self) -> MultiDict[str]:
        return self.request.GET

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self.request.COOKIES

    @property
    def session(self) -> Any:
        """The handshake's ``request.session`` (with ``SessionMiddleware``), as Starlette's ``websocket.session``."""
        return self.request.session

    @property
    def user(self) -> Any:
        """The handshake's ``request.user`` (with ``AuthenticationMiddleware``): who is on the other end."""
        return self.request.user

    @property
    def client(self) -> tuple[str, int] | None:
        """``(host, port)`` of the peer, when the server knows it."""
        return self.request.client

    @property
    def url(self) -> str:
        """The URL the client connected to, e.g. ``ws://example.com/ws/7?token=x``."""
        request = self.request
        return f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}{request.get_full_path()}"

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol agreed in ``accept()``, or None."""
        return self.connection.subprotocol

    @property
    def client_state(self) -> WebSocketState:
        """CONNECTING before ``accept()``, CONNECTED while open, DISCONNECTED once closed (by either side)."""
        return _CLIENT_STATES[self.connection.state]

    @property
    def application_state(self) -> WebSocketState:
        """CONNECTING before ``accept()``, CONNECTED after it, DISCONNECTED once the handler called ``close()``."""
        if self._app_closed:
            return WebSocketState.DISCONNECTED
        connecting = self.connection.state is ConnectionState.CONNECTING
        return WebSocketState.CONNECTING if connecting else WebSocketState.CONNECTED

    # -- handshake and closing -------------------------------------------------------------------
    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Iterable[tuple[str | bytes, str | bytes]] | Mapping[str, str] | None = None,
    ) -> None:
        """Complete the handshake, optionally agreeing on ``subprotocol`` and adding response ``headers``.

        Raises:
            WebSocketDisconnect: the client left before the handshake completed.
        """
        items = headers.items() if isinstance(headers, Mapping) else headers
        pairs = [(_text(name), _text(value)) for name, value in items or ()]
        try:
            await self.connection.accept(subprotocol, pairs)
        except ConnectionClosed as exc:
            raise _disconnect(exc) from None

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str | None = None) -> None:
        """Close the connection (before ``accept()``: refuse the handshake with 403)."""
        self._app_closed = True
        await self.connection.close(code, reason or "")

    # -- receiving ---------------------------------------------------------------------------------
    async def receive(self) -> dict[str, Any]:
        """The next event as Starlette's ASGI-style dict: ``websocket.receive`` or ``websocket.disconnect``."""
        try:
            message = await self.connection.receive()
        except ConnectionClosed as exc:
            return {"type": "websocket.disconnect", "code": exc.code, "reason": exc.reason}
        key = "text" if message.is_text else "bytes"
        return {"type": "websocket.receive", key: message.data}

    async def receive_text(self) -> str:
        """Wait for a text message."""
        return (await self._receive_kind(text=True)).text

    async def receive_bytes(self) -> bytes:
        """Wait for a binary message."""
        return (await self._receive_kind(text=False)).bytes

    async def receive_json(self, mode: str = "text") -> Any:
        """Wait for a message holding JSON: a text message (``mode="text"``) or a binary one (``"binary"``).

        Raises:
            ValueError: the message is not valid JSON (``json.JSONDecodeError``).
        """
        _check_mode(mode)
        message = await self._receive_kind(text=mode == "text")
        return json.loads(message.text if mode == "text" else message.bytes)

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text messages until the client disconnects (the disconnect ends the loop quietly)."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        """Yield decoded JSON text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    async def _receive_kind(self, *, text: bool) -> Message:
        try:
            message = await self.connection.receive()
        except ConnectionClosed as exc:
            raise _disconnect(exc) from None
        if message.is_text != text:
            expected = "text" if text else "binary"
            await self.connection.close(CloseCode.UNSUPPORTED_DATA, f"expected a {expected} message")
            raise WebSocketDisconnect(CloseCode.UNSUPPORTED_DATA, f"expected a {expected} message")
        return message

    # -- sending -----------------------------------------------------------------------------------
    async def send_text(self, data: str) -> None:
        """Send a text message."""
        try:
            await self.connection.send_text(data)
        except ConnectionClosed as exc:
            raise _disconnect(exc) from None

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message."""
        try:
            await self.connection.send_bytes(data)
        except ConnectionClosed as exc:
            raise _disconnect(exc) from None

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as compact JSON, in a text message (``mode="text"``) or a binary one (``"binary"``)."""
        _check_mode(mode)
        text = compact_json(data)
        if mode == "text":
            await self.send_text(text)
        else:
            await self.send_bytes(text.encode())

    def __repr__(self) -> str:
        return f"<WebSocket {self.request.path} {self.client_state.name}>"


def _disconnect(exc: ConnectionClosed) -> WebSocketDisconnect:
    return exc if isinstance(exc, WebSocketDisconnect) else WebSocketDisconnect(exc.code, exc.reason)


def _check_mode(mode: str) -> None:
    if mode not in ("text", "binary"):
        raise ValueError(f'mode must be "text" or "binary", not {mode!r}.')


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


# -- the route ------------------------------------------------------------------------------------
class WebSocketRoute(URLPattern):
    """A route whose handler is ``async def handler(websocket, **path_params)``: what ``@websocket`` returns.

    It is a :class:`~duck.urls.URLPattern` (``urlpatterns = [handler]`` works, ``reverse()``
    finds it by ``name``) that still behaves as the handler: calling it calls the handler, and
    ``__name__``, ``__doc__``, ``__wrapped__`` and ``inspect.signature()`` are the handler's.

    Attributes:
        endpoint: the handler as written.
        path: the route as written.

    Raises:
        ImproperlyConfigured: the handler is not ``async def``, takes no WebSocket argument, or
            requires a parameter the route does not capture.
    """

    def __init__(self, path: str, endpoint: Endpoint, *, name: str | None = None, login_required: bool = False) -> None:
        _check_endpoint(endpoint)
        self.endpoint = endpoint
        self.login_required = login_required
        self._wanted = _parameter_names(endpoint)
        super().__init__(path, self._make_view(), name=name)
        self.path = str(self.pattern)
        _check_parameters(self.pattern, endpoint, self._wanted)
        functools.update_wrapper(self, endpoint, updated=())  # __name__, __doc__, __wrapped__...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the handler itself (e.g. ``await chat_socket(fake_websocket, client_id="7")`` in a test)."""
        return self.endpoint(*args, **kwargs)

    def __repr__(self) -> str:
        name = f" name={self.name!r}" if self.name else ""
        return f"<WebSocketRoute {self.path!r} endpoint={self.endpoint.__qualname__}{name}>"

    def _make_view(self) -> Callable[..., Any]:
        endpoint, wanted, login_required = self.endpoint, self._wanted, self.login_required

        async def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
            check_handshake(request)  # a refusal is an HttpError: the dispatcher answers it
            if login_required:
                refusal_for_anonymous(request)  # raises NotAuthenticated: 401 before the handshake
            params = kwargs if wanted is None else {key: kwargs[key] for key in wanted if key in kwargs}
            return upgrade_response(request, functools.partial(_serve, endpoint, params), face_options())

        mark_websocket_view(view)
        view.__qualname__ = getattr(endpoint, "__qualname__", "websocket_view")
        view.__module__ = getattr(endpoint, "__module__", __name__)
        view.__doc__ = endpoint.__doc__
        return view


async def _serve(endpoint: Endpoint, params: dict[str, Any], connection: WebSocketConnection) -> None:
    """The connection's handler: the endpoint with a WebSocket and its path parameters."""
    await endpoint(WebSocket(connection), **params)


def websocket(
    path: str, name: str | None = None, *, login_required: bool = False
) -> Callable[[Endpoint], WebSocketRoute]:
    """Decorate ``async def handler(websocket, ...)`` into a :class:`WebSocketRoute` at ``path``.

    Args:
        path: a ``path()`` route; ``{name}``/``{name:int}`` and ``<int:name>`` capture parameters.
        name: the route's name for ``reverse()``.
        login_required: refuse anonymous clients' handshakes with 401 (``AuthenticationMiddleware``).

    Raises:
        ImproperlyConfigured: used without arguments (``@websocket`` instead of ``@websocket("/ws")``).
    """
    if not isinstance(path, str):
        raise ImproperlyConfigured('Give @websocket its route: @websocket("/ws/{client_id}"), not a bare @websocket.')

    def decorator(endpoint: Endpoint) -> WebSocketRoute:
        return WebSocketRoute(path, endpoint, name=name, login_required=login_required)

    return decorator


# -- checks on the handler, at import time ----------------------------------------------------------
def _check_endpoint(endpoint: Any) -> None:
    if not callable(endpoint) or not is_async_callable(endpoint):
        raise ImproperlyConfigured(
            f"@websocket handlers are 'async def handler(websocket, ...)'; {endpoint!r} is not a coroutine function."
        )


def _parameter_names(endpoint: Endpoint) -> frozenset[str] | None:
    """Names of the path parameters the handler takes (after the WebSocket); None if it takes **kwargs."""
    parameters = list(inspect.signature(endpoint).parameters.values())
    if not parameters or parameters[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise ImproperlyConfigured(
            f"{endpoint.__qualname__} must take the WebSocket as its first argument: "
            f"async def {endpoint.__name__}(websocket, ...)."
        )
    rest = parameters[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in rest):
        return None
    return frozenset(p.name for p in rest if p.kind is not inspect.Parameter.VAR_POSITIONAL)


def _check_parameters(pattern: Any, endpoint: Endpoint, wanted: frozenset[str] | None) -> None:
    if wanted is None or not isinstance(pattern, RoutePattern):
        return
    captured = set(pattern.segment.converters)
    parameters = inspect.signature(endpoint).parameters
    missing = [n for n in sorted(wanted - captured) if parameters[n].default is inspect.Parameter.empty]
    if missing:
        raise ImproperlyConfigured(
            f"{endpoint.__qualname__} requires {', '.join(missing)}, which the route {str(pattern)!r} does not "
            f"capture; add {{{missing[0]}}} to the route or give the parameter a default."
        )
