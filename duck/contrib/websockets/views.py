"""``WebSocketView``: a WebSocket route as a class with ``on_open``/``on_receive``/``on_close``.

::

    class MyWebSocket(WebSocketView):
        async def on_open(self):
            print("WebSocket connection established")

        async def on_receive(self, data: bytes, opcode: int):
            if opcode == OpCode.TEXT:
                await self.send_text("You sent " + data.decode("utf-8"))

    urlpatterns = [path("/ws/myws", MyWebSocket, name="mywebsocket")]

The same class serves duck's own server and ASGI servers. One instance per connection; its
messages are handled in order, one at a time, by one task. ``GROUPS = ["lobby"]`` joins
broadcast groups before ``on_open``; ``self.broadcast(...)`` sends to them without waiting
for slow clients (:mod:`duck.contrib.websockets.groups`). ``on_close`` runs exactly once per
opened connection, whoever closed it. A handler that raises closes the connection with 1011
(the error is logged, not sent). Tasks started with :func:`duck.utils.asyncio.create_task`
inside the handlers are cancelled when the connection closes.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from duck.auth.decorators import refusal_for_anonymous
from duck.conf import on_setting_changed
from duck.contrib.websockets import groups
from duck.contrib.websockets.connection import WebSocketConnection
from duck.contrib.websockets.enums import CloseCode
from duck.contrib.websockets.handshake import check_handshake
from duck.contrib.websockets.options import ConnectionOptions
from duck.contrib.websockets.upgrade import mark_websocket_view, upgrade_response
from duck.core.schema_hint import log_schema_hint
from duck.exceptions import ConnectionClosed, ImproperlyConfigured, PermissionDenied
from duck.http.request import Request
from duck.http.response import HttpResponse, compact_json
from duck.views import describe_view

__all__ = ["WebSocketView"]

logger = logging.getLogger("duck.websockets")

_settings_generation = 0


@on_setting_changed
def _settings_changed() -> None:
    # Views cache their ConnectionOptions; a new generation makes them read settings again.
    global _settings_generation
    _settings_generation += 1


class WebSocketView:
    """A WebSocket endpoint; subclass it and override the ``on_*`` coroutines.

    Class knobs (override in a subclass, or per route with ``as_view(RECEIVE_TIMEOUT=...)``):

    - ``RECEIVE_TIMEOUT``: seconds without any frame from the client (pongs count) before the
      connection is closed with 1001 "receive timeout"; None disables it.
    - ``MAX_FRAME_SIZE``: largest frame payload (after decompression); above it, close 1009.
    - ``MAX_MESSAGE_SIZE``: largest message, one frame or assembled from fragments (after
      decompression); above it, close 1009. None takes ``WEBSOCKET_MAX_MESSAGE_SIZE``, or
      ``MAX_FRAME_SIZE`` when that is larger.
    - ``SUBPROTOCOLS``: subprotocols spoken, in order of preference; the chosen one is
      ``self.subprotocol`` (None when the client offered none of them).
    - ``PING_INTERVAL`` / ``PING_TIMEOUT``: None takes ``WEBSOCKET_PING_INTERVAL`` /
      ``WEBSOCKET_PING_TIMEOUT``; 0 disables keepalive pings for this view.
    - ``GROUPS``: broadcast groups every connection joins once the handshake is complete,
      before ``on_open`` runs (see :meth:`broadcast`, :meth:`join`, :meth:`leave`).
    - ``LOGIN_REQUIRED``: refuse the handshake of anonymous clients with 401 (needs
      ``AuthenticationMiddleware``); :meth:`authorize` may refuse others with 403.

    Attributes:
        request: the upgrade request (``request.path_params``, query, headers, cookies).
        args, kwargs: the URL parameters, as a plain view gets them.
        connection: the :class:`~duck.contrib.websockets.connection.WebSocketConnection`.
    """

    handles_websockets: ClassVar[bool] = True  # the faces' one marker (see upgrade.py)
    RECEIVE_TIMEOUT: ClassVar[float | None] = 120
    MAX_FRAME_SIZE: ClassVar[int] = 1 * 1024 * 1024
    MAX_MESSAGE_SIZE: ClassVar[int | None] = None
    SUBPROTOCOLS: ClassVar[list[str]] = []
    PING_INTERVAL: ClassVar[float | None] = None
    PING_TIMEOUT: ClassVar[float | None] = None
    GROUPS: ClassVar[list[str]] = []
    LOGIN_REQUIRED: ClassVar[bool] = False

    request: Request
    connection: WebSocketConnection

    def __init__(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            setattr(self, key, value)
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self._on_close_done = False

    def __repr__(self) -> str:
        connection = getattr(self, "connection", None)
        return f"<{type(self).__qualname__} {connection!r}>"

    # -- to override -------------------------------------------------------------------------
    async def authorize(self) -> bool:
        """Decide, before the handshake is accepted, whether this client may connect (False: 403).

        Runs after the ``LOGIN_REQUIRED`` check, with ``self.request`` (its ``user`` and ``session``)
        and the URL parameters set; nothing can be sent yet. May also raise an ``HttpError``.
        """
        return True

    async def on_open(self) -> None:
        """Called once the handshake is complete, before any message."""

    async def on_receive(self, data: bytes, opcode: int) -> None:
        """Called for each message: ``data`` is bytes (UTF-8 for :attr:`OpCode.TEXT`), ``opcode`` TEXT or BINARY."""

    async def on_close(self) -> None:
        """Called once when the connection is closed, whoever closed it; see ``self.close_code``.

        An override may also take a ``code`` parameter to receive the close code.
        """

    # -- talking to the client ---------------------------------------------------------------
    # send_text/send_binary return the connection's coroutine rather than wrapping it in one
    # of their own: one coroutine less per message on the hot path; ``await`` works the same.
    def send_text(self, text: str) -> Awaitable[None]:
        """Send a text message (await it). Raises ConnectionClosed once the connection is closed."""
        return self.connection.send_text(text)

    def send_binary(self, data: bytes | bytearray | memoryview) -> Awaitable[None]:
        """Send a binary message (await it). Raises ConnectionClosed once the connection is closed."""
        return self.connection.send_bytes(data)

    async def send_json(self, data: Any, **dumps_kwargs: Any) -> None:
        """Send ``data`` as compact JSON in a text message (dates, UUIDs, decimals and sets understood)."""
        await self.connection.send_text(compact_json(data, **dumps_kwargs))

    async def ping(self, data: bytes = b"") -> None:
        await self.connection.ping(data)

    # -- broadcast groups --------------------------------------------------------------------
    async def broadcast(self, message: Any, group: str | None = None, exclude_self: bool = False) -> None:
        """Send ``message`` to ``group``'s members, or with ``group=None`` to each group this
        connection is in (``GROUPS`` and those joined since; a member of two of them gets it twice).

        ``message`` is text (str), binary (bytes) or JSON (anything else); slow members never
        make this wait (see :func:`duck.contrib.websockets.groups.send`).
        """
        exclude = self.connection if exclude_self else None
        targets = [group] if group is not None else sorted(groups.groups_of(self.connection))
        frame = groups.prepare(message)  # encoded once even for several groups
        for name in targets:
            await groups.send(name, frame, exclude=exclude)

    async def join(self, group: str) -> None:
        """Join ``group``; the connection leaves it by itself when it closes."""
        await groups.add(group, self.connection)

    async def leave(self, group: str) -> None:
        """Leave ``group`` (nothing happens if this connection is not in it)."""
        await groups.discard(group, self.connection)

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection (RFC 6455 §7.1.2) and wait until it is closed; ``on_close`` follows."""
        await self.connection.close(code, reason)

    @property
    def close_code(self) -> int | None:
        """The close code (1005: the client gave none; 1006: dropped without close); None while open."""
        connection = getattr(self, "connection", None)
        return None if connection is None else connection.close_code

    @property
    def subprotocol(self) -> str | None:
        connection = getattr(self, "connection", None)
        return None if connection is None else connection.subprotocol

    # -- wiring --------------------------------------------------------------------------------
    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        """An async view function: check the handshake, then answer with an ``UpgradeResponse``.

        Refusals are HTTP responses: 400 (malformed), 426 (plain GET, or a version other than
        13), 403 (cross-site Origin); see :mod:`duck.contrib.websockets.handshake`. Then 401
        (``LOGIN_REQUIRED`` and nobody logged in) and 403 (:meth:`authorize` said no).
        """
        for key in initkwargs:
            if not hasattr(cls, key) or key.startswith("on_"):
                raise ImproperlyConfigured(f"as_view() got {key!r}, which is not an attribute of {cls.__qualname__}.")
        joined = initkwargs.get("GROUPS", cls.GROUPS)
        if isinstance(joined, str) or not all(isinstance(name, str) and name for name in joined):
            raise ImproperlyConfigured(
                f"{cls.__qualname__}.GROUPS must be a list of group names: write [{joined!r}]."
                if isinstance(joined, str)
                else f"{cls.__qualname__}.GROUPS must be a list of non-empty strings, not {joined!r}."
            )
        takes_code = _on_close_takes_code(cls.on_close)
        cache: list[Any] = [None, -1]  # [ConnectionOptions, settings generation it was read at]

        def options() -> ConnectionOptions:
            if cache[1] != _settings_generation:
                cache[0] = _options(cls, initkwargs)
                cache[1] = _settings_generation
            return cast(ConnectionOptions, cache[0])

        async def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
            check_handshake(request)  # a refusal is an HttpError: the dispatcher answers it
            instance = cls(**initkwargs)
            instance.request, instance.args, instance.kwargs = request, args, kwargs
            await _authorize(instance)  # 401/403 as a plain HTTP answer, before switching protocols
            return upgrade_response(request, functools.partial(_run, instance, takes_code), options())

        return mark_websocket_view(describe_view(view, cls, initkwargs))


async def _authorize(view: WebSocketView) -> None:
    """Raise NotAuthenticated (401) or PermissionDenied (403) unless the client may connect."""
    if view.LOGIN_REQUIRED:
        refusal_for_anonymous(view.request)
    if not await view.authorize():
        raise PermissionDenied(f"{type(view).__qualname__}.authorize() refused this connection.")


def _options(cls: type[WebSocketView], initkwargs: dict[str, Any]) -> ConnectionOptions:
    def knob(name: str) -> Any:
        return initkwargs.get(name, getattr(cls, name))

    return ConnectionOptions.from_settings(
        receive_timeout=knob("RECEIVE_TIMEOUT"),
        max_frame_size=knob("MAX_FRAME_SIZE"),
        max_message_size=knob("MAX_MESSAGE_SIZE"),
        subprotocols=knob("SUBPROTOCOLS"),
        ping_interval=knob("PING_INTERVAL"),
        ping_timeout=knob("PING_TIMEOUT"),
    )


def _on_close_takes_code(on_close: Callable[..., Any]) -> bool:
    """True when an ``on_close`` override accepts ``code`` (inspected once per class)."""
    try:
        parameters = inspect.signature(on_close).parameters
    except (TypeError, ValueError):
        return False
    return "code" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


async def _run(view: WebSocketView, takes_code: bool, connection: WebSocketConnection) -> None:
    """The connection's handler: accept, on_open, then on_receive per message, and on_close once."""
    view.connection = connection
    await connection.accept()  # a refused handshake ends here, before on_open
    try:
        await _converse(view, connection)
    except asyncio.CancelledError:
        connection._abandon()  # server shutdown: on_close still runs, with 1001
        raise
    finally:
        await _close_once(view, takes_code)


async def _converse(view: WebSocketView, connection: WebSocketConnection) -> None:
    name = type(view).__qualname__
    step = "joining GROUPS"
    try:
        for group in view.GROUPS:
            await groups.add(group, connection)  # before on_open: it may already broadcast
        step = "on_open()"
        await view.on_open()
    except ConnectionClosed:
        return
    except Exception as exc:
        logger.exception("%s: %s raised; closing the connection with 1011", name, step)
        log_schema_hint(logger, exc)
        await _close_quietly(connection, CloseCode.INTERNAL_ERROR)
        return
    receive = connection.receive
    on_receive = view.on_receive
    while True:
        try:
            message = await receive()
        except ConnectionClosed:
            return
        try:
            await on_receive(message.bytes, message.opcode)
        except ConnectionClosed:
            continue  # a send raced the close; the next receive() ends the loop
        except Exception as exc:
            logger.exception("%s.on_receive() raised; closing the connection with 1011", name)
            log_schema_hint(logger, exc)
            await _close_quietly(connection, CloseCode.INTERNAL_ERROR)
            return


async def _close_quietly(connection: WebSocketConnection, code: int) -> None:
    try:
        await connection.close(code, "internal error")
    except ConnectionClosed:
        pass


async def _close_once(view: WebSocketView, takes_code: bool) -> None:
    if getattr(view, "_on_close_done", False):  # getattr: an __init__ override may skip ours
        return
    view._on_close_done = True
    try:
        if takes_code:
            await view.on_close(code=view.close_code)  # type: ignore[call-arg]
        else:
            await view.on_close()
    except Exception as exc:
        logger.exception("%s.on_close() raised", type(view).__qualname__)
        log_schema_hint(logger, exc)
