"""``request.websocket`` of a dwebsocket-style view: blocking in a sync view, awaitable in an async one.

Both classes sit over the one :class:`~duck.contrib.websockets.connection.WebSocketConnection`
and an :class:`~duck.contrib.websockets.dwebsocket.inbox.Inbox` of received messages:

=====================  =========================================  =========================================
method                 :class:`SyncWebSocket` (sync view)         :class:`AsyncWebSocket` (async view)
=====================  =========================================  =========================================
wait(timeout=None)     blocks; message, or None once closed       ``await``; the same
                       (or when ``timeout`` passes)
read(fallback=None)    message or ``fallback`` (never waits)      ``await``; the same
count_messages()       messages queued                            the same (plain call: never waits)
has_messages()         ``count_messages() > 0``                   the same (plain call)
send(message)          ``str`` -> text frame, bytes -> binary     ``await``; the same
close(code, reason)    closing handshake, waits for it            ``await``; the same
is_closed()            True once closed                           the same (plain call)
iteration              ``for m in ws`` until the client closes    ``async for m in ws``
=====================  =========================================  =========================================

Messages are ``str`` for text frames and ``bytes`` for binary frames. (dwebsocket handed every
message over as bytes; duck keeps the frame's type, so ``message.lower()`` on a text message
works as in the dwebsocket examples and ``send(message)`` echoes the same kind of frame back.)

As in dwebsocket, ``wait()`` returns None both when the client has closed and when ``timeout``
passes (``is_closed()`` tells which), and ``send()`` on a closed connection does nothing: a
chat room that broadcasts to a list of sockets keeps working while a leaving user is still in
the list.

A :class:`SyncWebSocket` may be used from any thread but the event loop's (it would block the
loop): a sync view broadcasting to other connections' sockets, as the dwebsocket chat rooms do,
is fine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from duck.contrib.websockets.dwebsocket.inbox import Inbox, Payload
from duck.contrib.websockets.enums import CloseCode
from duck.exceptions import ConnectionClosed
from duck.utils.asyncio import run_coroutine_from_sync, running_loop

if TYPE_CHECKING:
    from duck.contrib.websockets.connection import WebSocketConnection
    from duck.http.request import Request

__all__ = ["AsyncWebSocket", "SyncWebSocket"]

# How often a thread blocked on the loop checks that the loop still exists (it only ends
# without closing the connection when a process or test tears it down abruptly).
_LOOP_CHECK_INTERVAL = 1.0


class _DWebSocket:
    """What both faces share: the connection, the inbox, and the non-blocking queries."""

    __slots__ = ("_connection", "_inbox", "_loop")

    def __init__(self, connection: WebSocketConnection, inbox: Inbox, loop: asyncio.AbstractEventLoop) -> None:
        self._connection = connection
        self._inbox = inbox
        self._loop = loop

    @property
    def connection(self) -> WebSocketConnection:
        """The underlying connection (the API ``WebSocketView`` and ``@websocket`` use).

        Send through it freely, but do not call its ``receive()``: this face's reader task
        already does, and a connection serves one receiver at a time.
        """
        return self._connection

    @property
    def request(self) -> Request:
        return self._connection.request

    @property
    def closed(self) -> bool:
        """True once the connection is closed (queued messages may still be read)."""
        return self._connection.closed

    @property
    def close_code(self) -> int | None:
        """The close code once closed (1005: the client sent none; 1006: the connection dropped)."""
        return self._connection.close_code

    @property
    def subprotocol(self) -> str | None:
        return self._connection.subprotocol

    def is_closed(self) -> bool:
        """dwebsocket's spelling of :attr:`closed`."""
        return self._connection.closed

    def count_messages(self) -> int:
        """How many received messages are queued, not yet read."""
        return len(self._inbox)

    def has_messages(self) -> bool:
        """True when :meth:`read` would return a message."""
        return len(self._inbox) > 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._connection!r} queued={len(self._inbox)}>"


class SyncWebSocket(_DWebSocket):
    """The blocking face, for sync views (which run in their own worker thread)."""

    __slots__ = ()

    def wait(self, timeout: float | None = None) -> Payload | None:
        """Return the next message, blocking until one arrives; None once the client has closed.

        Messages that arrived before the close are still returned first.

        Args:
            timeout: seconds to wait at most; after them None is returned, as dwebsocket does
                (``is_closed()`` is then still False). None waits as long as the connection lives.
        """
        self._refuse_loop_thread("wait")
        try:
            return self._inbox.get_blocking(timeout, _LOOP_CHECK_INTERVAL)
        except TimeoutError:
            return None

    def read(self, fallback: Any = None) -> Payload | Any:
        """Return a queued message, or ``fallback`` if none has arrived (never blocks)."""
        message = self._inbox.pop()
        return fallback if message is None else message

    def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send ``message``: ``str`` as a text frame, bytes as a binary frame; nothing once closed.

        Raises:
            TypeError: ``message`` is neither text nor bytes.
        """
        if self._connection.closed:
            return  # dwebsocket's rule: a closed socket swallows sends
        self._run(self._connection.send(_checked_payload(message)))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the connection (1000 by default) and wait for the closing handshake (bounded)."""
        self._run(self._connection.close(code or CloseCode.NORMAL_CLOSURE, reason or ""))

    def __iter__(self) -> Iterator[Payload]:
        """Yield each message until the client closes the connection."""
        while True:
            message = self.wait()
            if message is None:
                return
            yield message

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` on the connection's loop and block until it is done."""
        loop = self._loop
        if running_loop() is loop or loop.is_closed():
            coro.close()  # never started: no "never awaited" warning on top of the error
            if loop.is_closed():
                return  # the server is gone: nothing left to send to or close
            self._refuse_loop_thread("send() and close()")
        try:
            run_coroutine_from_sync(coro, loop=loop)
        except (ConnectionClosed, concurrent.futures.CancelledError):
            return  # the connection (or the whole loop) closed while the send was on its way: dropped

    def _refuse_loop_thread(self, what: str) -> None:
        if running_loop() is self._loop:
            _raise_on_loop(what)


class AsyncWebSocket(_DWebSocket):
    """The awaitable face, for ``async def`` views: ``await ws.wait()``, ``async for m in ws``."""

    __slots__ = ()

    async def wait(self, timeout: float | None = None) -> Payload | None:
        """Return the next message, waiting until one arrives; None once the client has closed
        (or when ``timeout`` seconds pass)."""
        try:
            return await self._inbox.get_async(timeout)
        except TimeoutError:
            return None

    async def read(self, fallback: Any = None) -> Payload | Any:
        """Return a queued message, or ``fallback`` if none has arrived (never waits)."""
        message = self._inbox.pop()
        return fallback if message is None else message

    async def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send ``message``: ``str`` as a text frame, bytes as a binary frame; nothing once closed.

        Raises:
            TypeError: ``message`` is neither text nor bytes.
        """
        if self._connection.closed:
            return
        try:
            await self._connection.send(_checked_payload(message))
        except ConnectionClosed:
            pass  # closed while sending: dropped, as dwebsocket drops sends to a closed socket

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the connection (1000 by default) and wait for the closing handshake."""
        await self._connection.close(code or CloseCode.NORMAL_CLOSURE, reason or "")

    async def __aiter__(self) -> AsyncIterator[Payload]:
        """Yield each message until the client closes the connection."""
        while True:
            message = await self._inbox.get_async(None)
            if message is None:
                return
            yield message

    def __iter__(self) -> NoReturn:
        raise TypeError("In an async view, iterate with 'async for message in request.websocket'.")


def _checked_payload(message: Any) -> str | bytes | bytearray | memoryview:
    if isinstance(message, (str, bytes, bytearray, memoryview)):
        return message
    raise TypeError(
        f"request.websocket.send() takes str (a text frame) or bytes (a binary frame), not {type(message).__name__}; "
        f"convert it first, e.g. send(json.dumps(data))."
    )


def _raise_on_loop(what: str) -> NoReturn:
    raise RuntimeError(
        f"The blocking request.websocket.{what} was called on the event loop, where it would freeze the "
        f"server; in async code use the views' awaitable face (an async def view gets one)."
    )
