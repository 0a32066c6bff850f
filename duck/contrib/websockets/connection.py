"""The one connection interface every face of duck's WebSockets talks to.

:class:`WebSocketConnection` is what ``WebSocketView`` (and the later dwebsocket-style and
Starlette/Ravyn-style faces, and broadcast groups) use; it is implemented twice:

- :class:`~duck.contrib.websockets.protocol.WebSocketProtocol`, over duck's own server
  (an ``asyncio.Protocol`` around ``websockets``' sans-I/O ``ServerProtocol``);
- :class:`~duck.contrib.websockets.asgi.ASGIWebSocket`, over an ASGI server's ``receive``/``send``.

Life of a connection::

    CONNECTING --accept()--> OPEN --close frame sent or received, or TCP lost--> CLOSED
         \\--close() before accept: the handshake is refused (HTTP 403)--------------^

A connection runs one *handler* (``async handler(connection)``), in a context where the
connection is the owner of tasks made with :func:`duck.utils.asyncio.create_task`: they are
cancelled when the connection closes. When the handler returns, a still-open connection is
closed with 1000; when it raises, with 1011 (the error is logged, never sent to the client).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from duck.conf import settings
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.contrib.websockets.sansio import check_close, server_frame
from duck.core.schema_hint import log_schema_hint
from duck.exceptions import ConnectionClosed, InvalidHandshake
from duck.utils.asyncio import TaskOwner
from duck.utils.asyncio.supervisor import spawn

if TYPE_CHECKING:
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.http.request import Request

__all__ = [
    "CLOSED",
    "CONNECTING",
    "OPEN",
    "ConnectionHandler",
    "ConnectionState",
    "Message",
    "PreparedFrame",
    "WebSocketConnection",
]

logger = logging.getLogger("duck.websockets")
# The HTTP access log's logger: one line when a WebSocket opens, one when it closes (as uvicorn and daphne).
access_logger = logging.getLogger("duck.access")


class ConnectionState(str, enum.Enum):
    """Where a connection stands, as seen by the application (see the module docstring).

    A ``str`` enum: ``connection.state == "open"`` reads naturally and logs print the name.
    """

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


CONNECTING, OPEN, CLOSED = ConnectionState.CONNECTING, ConnectionState.OPEN, ConnectionState.CLOSED

# What a connection runs: ``async handler(connection)`` (a view's hooks, a decorated view, an endpoint).
ConnectionHandler = Callable[["WebSocketConnection"], Awaitable[None]]


class Message:
    """One complete message received from the client (fragments already assembled).

    Attributes:
        opcode: :attr:`OpCode.TEXT` or :attr:`OpCode.BINARY`.
        data: ``str`` for a text message, ``bytes`` for a binary one.
        bytes: the payload as bytes (UTF-8 for text); no copy when it came off the wire as bytes.
        text: the payload as str (text messages are already validated UTF-8, RFC 6455 §8.1).
    """

    __slots__ = ("_bytes", "_text", "opcode")

    def __init__(self, opcode: OpCode, payload: bytes | str, text: str | None = None) -> None:
        self.opcode = opcode
        if isinstance(payload, str):
            self._bytes: bytes | None = None
            self._text: str | None = payload
        else:
            self._bytes = payload
            self._text = text

    @property
    def is_text(self) -> bool:
        return self.opcode is OpCode.TEXT

    @property
    def data(self) -> bytes | str:
        return self.text if self.opcode is OpCode.TEXT else self.bytes

    @property
    def bytes(self) -> bytes:
        data = self._bytes
        if data is None:
            data = self._bytes = self._text.encode()  # type: ignore[union-attr]
        return data

    @property
    def text(self) -> str:
        text = self._text
        if text is None:
            text = self._text = self._bytes.decode()  # type: ignore[union-attr]
        return text

    def __len__(self) -> int:
        """Size of the payload in bytes."""
        return len(self.bytes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.opcode == other.opcode and self.bytes == other.bytes
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        data = self.data
        shown: str | bytes = data
        if len(data) > 60:
            shown = data[:57] + "..." if isinstance(data, str) else data[:57] + b"..."
        return f"<Message {self.opcode.name} {shown!r}>"


class PreparedFrame:
    """A message encoded once as a server frame, so it can be written to many connections.

    Server frames are not masked (RFC 6455 §5.1), so the same bytes are valid on every
    connection: a broadcast to N clients encodes once instead of N times. That holds on
    connections that negotiated permessage-deflate too: RFC 7692 §6 lets an endpoint send any
    message uncompressed (RSV1 clear), and an uncompressed message does not touch the
    compressor's sliding window, so the connection's own compressed messages before and after
    it stay valid (§7.2.3). Duck's server therefore writes :attr:`frame` as it is on every
    connection; ASGI connections hand the payload to the server's ``send`` instead.

    Attributes:
        opcode: TEXT for ``str`` data, BINARY for bytes.
        payload: the payload bytes (UTF-8 for text).
        frame: the complete uncompressed frame, header included.
    """

    __slots__ = ("frame", "opcode", "payload")

    def __init__(self, data: str | bytes | bytearray | memoryview) -> None:
        if isinstance(data, str):
            self.opcode = OpCode.TEXT
            self.payload = data.encode()
        else:
            self.opcode = OpCode.BINARY
            self.payload = bytes(data)
        self.frame = server_frame(self.opcode, self.payload)

    @classmethod
    def from_payload(cls, opcode: OpCode, payload: bytes) -> PreparedFrame:
        """A frame from payload bytes already encoded (UTF-8 for TEXT): no decode/encode round trip.

        The caller vouches that a TEXT payload is valid UTF-8 (RFC 6455 §8.1); a broadcast
        received from another process was encoded by duck's :meth:`__init__`.
        """
        frame = cls.__new__(cls)
        frame.opcode = OpCode.TEXT if opcode == OpCode.TEXT else OpCode.BINARY
        frame.payload = payload
        frame.frame = server_frame(frame.opcode, payload)
        return frame

    def __len__(self) -> int:
        """Size of the payload in bytes."""
        return len(self.payload)

    @property
    def text(self) -> str:
        return self.payload.decode()

    def __repr__(self) -> str:
        return f"<PreparedFrame {self.opcode.name} {len(self.payload)} bytes>"


class WebSocketConnection(TaskOwner):
    """One WebSocket connection, whatever server carries it (abstract).

    Attributes:
        request: the upgrade request (path params, query, headers, cookies).
        options: the limits and timers in force (:class:`~duck.contrib.websockets.options.ConnectionOptions`).
        subprotocol: the subprotocol agreed in the handshake, or None.
    """

    __slots__ = (
        "_close_callbacks",
        "_close_code",
        "_close_reason",
        "_opened_at",
        "_outbox",
        "_outbox_bytes",
        "_state",
        "_writer",
        "options",
        "request",
        "subprotocol",
    )

    def __init__(self, request: Request, options: ConnectionOptions) -> None:
        TaskOwner.__init__(self)
        self.request = request
        self.options = options
        self.subprotocol: str | None = None
        self._state = CONNECTING
        self._close_code: int | None = None
        self._close_reason = ""
        self._close_callbacks: list[Callable[[WebSocketConnection], None]] | None = None
        # time.monotonic() when the handshake completed, kept only while the access log is on (0.0: off).
        self._opened_at = 0.0
        # Broadcast outbox (see try_send_prepared): created by the first broadcast that needs it,
        # drained by the _writer task, which exists only while the outbox holds something.
        self._outbox: collections.deque[PreparedFrame] | None = None
        self._outbox_bytes = 0
        self._writer: asyncio.Task[None] | None = None

    # -- state -------------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        """CONNECTING, OPEN or CLOSED (equal to ``"connecting"``, ``"open"``, ``"closed"``)."""
        return self._state

    @property
    def closed(self) -> bool:
        """True once a close frame was sent or received, or the TCP connection is gone."""
        return self._state is CLOSED

    @property
    def close_code(self) -> int | None:
        """The code of the close frame that started the closing handshake (whoever sent it).

        1005 when the client's close frame had no code, 1006 when the connection dropped
        without a close frame (RFC 6455 §7.1.5); None while the connection is open.
        """
        return self._close_code

    @property
    def close_reason(self) -> str:
        return self._close_reason

    def _closed_error(self) -> ConnectionClosed:
        return ConnectionClosed(self._close_code or CloseCode.ABNORMAL_CLOSURE, self._close_reason)

    def _mark_open(self) -> None:
        """Record that the handshake completed (implementations call it from :meth:`accept`)."""
        self._state = OPEN
        if settings.SERVER_ACCESS_LOG and access_logger.isEnabledFor(logging.INFO):
            self._opened_at = time.monotonic()
            access_logger.info('%s - "WebSocket %s" open', self._client(), self.request.get_full_path())

    def _client(self) -> str:
        client = self.request.client
        return f"{client[0]}:{client[1]}" if client else "-"

    def _log_close(self, was: ConnectionState, code: int) -> None:
        if was is OPEN and self._opened_at:
            duration = time.monotonic() - self._opened_at
            path = self.request.get_full_path()
            access_logger.info('%s - "WebSocket %s" closed %d %.1fs', self._client(), path, code, duration)
        elif was is CONNECTING and settings.SERVER_ACCESS_LOG and access_logger.isEnabledFor(logging.INFO):
            access_logger.info('%s - "WebSocket %s" refused', self._client(), self.request.get_full_path())

    def _mark_closed(self, code: int, reason: str = "") -> None:
        """Record the end of the connection, cancel the tasks it owns and run the close callbacks.

        Implementations wake their own waiters after this.
        """
        was = self._state
        if was is CLOSED:
            return
        self._state = CLOSED
        self._close_code = int(code)
        self._close_reason = reason
        self._log_close(was, self._close_code)
        self.cancel_tasks()
        callbacks, self._close_callbacks = self._close_callbacks, None
        for callback in callbacks or ():
            try:
                callback(self)
            except Exception:
                logger.exception("Close callback %r of %r raised", callback, self)

    def add_close_callback(self, callback: Callable[[WebSocketConnection], None]) -> None:
        """Call ``callback(connection)`` once, synchronously, when the connection closes.

        This is how broadcast groups forget a connection: one list per connection, created by
        the first callback, and nothing on the data path. On an already closed connection
        the callback runs at once.
        """
        if self._state is CLOSED:
            callback(self)
            return
        if self._close_callbacks is None:
            self._close_callbacks = []
        self._close_callbacks.append(callback)

    # -- the interface: the state guards live here once; implementations provide the _underscored steps --
    async def accept(self, subprotocol: str | None = None, headers: Iterable[tuple[str, str]] | None = None) -> None:
        """Complete the opening handshake (RFC 6455 §4.2.2); a no-op when already open.

        Args:
            subprotocol: the subprotocol to agree on; by default the first of the route's
                ``SUBPROTOCOLS`` the client offered (none if it offered none of them).
            headers: extra headers for the 101 response (e.g. Set-Cookie).

        Raises:
            InvalidHandshake: the handshake failed (the HTTP error was sent).
            ConnectionClosed: the client left first.
        """
        state = self._state
        if state is OPEN:
            return
        if state is CLOSED:
            raise self._closed_error()
        await self._accept(subprotocol, headers)

    async def receive(self) -> Message:
        """Wait for the next message (one task at a time).

        Messages that arrived before the connection closed are still handed out, then the close
        is raised.

        Raises:
            ConnectionClosed: the connection is closed (``code``/``reason`` of the close frame).
            RuntimeError: called before :meth:`accept`.
        """
        if self._state is CONNECTING:
            raise RuntimeError("receive() was called before accept().")
        return await self._receive()

    async def send_text(self, data: str) -> None:
        """Send a text message; waits while the client is slow to read.

        Raises:
            ConnectionClosed: the connection is closed.
        """
        if self._state is not OPEN:
            raise self._send_error()
        await self._send_text(data)

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message; waits while the client is slow to read.

        Raises:
            ConnectionClosed: the connection is closed.
        """
        if self._state is not OPEN:
            raise self._send_error()
        await self._send_bytes(data)

    async def send_prepared(self, frame: PreparedFrame) -> None:
        """Send a message encoded once by :class:`PreparedFrame` (broadcast to many connections).

        Raises:
            ConnectionClosed: the connection is closed.
        """
        if self._state is not OPEN:
            raise self._send_error()
        await self._send_prepared(frame)

    def try_send_prepared(self, frame: PreparedFrame, max_buffer: int) -> bool:
        """Hand ``frame`` to the connection without waiting: the broadcast fast path.

        The message is taken when the connection is open and fewer than ``max_buffer`` bytes
        are waiting for this client; otherwise nothing happens. Never awaits, never raises for
        a closed connection, and the frame's bytes are shared, not copied.

        This default queues the frame in an outbox drained in order by one writer task (owned
        by the connection, so cancelled when it closes, and created only while the outbox holds
        something); ASGI connections use it. Duck's server overrides it with a direct write.

        Returns:
            True if the message was written or queued; False if the connection is not open
            or its buffer is full (the caller then applies its overflow policy).
        """
        if self._state is not OPEN or self._outbox_bytes >= max_buffer:
            return False
        outbox = self._outbox
        if outbox is None:
            outbox = self._outbox = collections.deque()
        outbox.append(frame)
        self._outbox_bytes += len(frame.payload)
        if self._writer is None:
            # A fresh context keeps the caller's task owner (another connection's handler) out.
            writer = self._drain_outbox()
            self._writer = spawn(writer, name="websocket broadcast writer", owner=self, context=contextvars.Context())
        return True

    async def _drain_outbox(self) -> None:
        """Send queued broadcasts in order; ends when the outbox is empty or the connection closed."""
        outbox = self._outbox
        try:
            while outbox and self._state is OPEN:
                frame = outbox.popleft()
                self._outbox_bytes -= len(frame.payload)
                await self.send_prepared(frame)
        except ConnectionClosed:
            pass  # the client left: what is queued is dropped with it
        finally:
            self._writer = None
            if self._state is not OPEN:
                self._drop_outbox()

    def _drop_outbox(self) -> None:
        if self._outbox:
            self._outbox.clear()
        self._outbox_bytes = 0

    def close_nowait(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start closing the connection without waiting (from synchronous code, e.g. a fan-out loop).

        Queued broadcasts are dropped; the closing handshake goes on in the background, bounded
        by ``WEBSOCKET_CLOSE_TIMEOUT``. Implementations mark the connection closed at once
        (``closed`` is True, close callbacks ran); this default does it when its task runs.
        Does nothing on a closed connection.
        """
        if self._state is CLOSED:
            return
        self._drop_outbox()
        spawn(self.close(code, reason), name="websocket close", context=contextvars.Context())

    async def ping(self, data: bytes = b"") -> None:
        """Send a ping (RFC 6455 §5.5.2); the client's pong counts as activity.

        Raises:
            ConnectionClosed: the connection is closed.
        """
        if self._state is not OPEN:
            raise self._send_error()
        await self._ping(data)

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake and wait until the connection is closed (bounded by
        ``WEBSOCKET_CLOSE_TIMEOUT``); before :meth:`accept`, refuse the handshake with 403.

        Closing an already closed connection does nothing.

        Raises:
            ValueError: a code an endpoint may not send, or a reason over 123 bytes (RFC 6455 §5.5, §7.4).
        """
        check_close(code, reason)
        await self._close(code, reason)

    def _send_error(self) -> Exception:
        if self._state is CONNECTING:
            return RuntimeError("Cannot send before accept().")
        return self._closed_error()

    # -- what an implementation provides (each called in the state the public method checked) --------
    async def _accept(self, subprotocol: str | None, headers: Iterable[tuple[str, str]] | None) -> None:
        raise NotImplementedError  # CONNECTING: complete the handshake, then call _mark_open()

    async def _receive(self) -> Message:
        raise NotImplementedError  # OPEN or CLOSED: the next queued message, else wait or raise closed

    async def _send_text(self, data: str) -> None:
        raise NotImplementedError  # OPEN

    async def _send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        raise NotImplementedError  # OPEN

    async def _send_prepared(self, frame: PreparedFrame) -> None:
        raise NotImplementedError  # OPEN

    async def _ping(self, data: bytes) -> None:
        raise NotImplementedError  # OPEN

    async def _close(self, code: int, reason: str) -> None:
        raise NotImplementedError  # any state; the code and reason were checked

    # -- conveniences shared by the implementations ---------------------------------------------
    async def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send ``str`` as a text message and bytes as a binary one."""
        if isinstance(data, str):
            await self.send_text(data)
        else:
            await self.send_bytes(data)

    async def __aiter__(self) -> AsyncIterator[Message]:
        """Iterate over messages until the connection closes (the close ends the loop quietly)."""
        while True:
            try:
                yield await self.receive()
            except ConnectionClosed:
                return

    def __repr__(self) -> str:
        path = self.request.path if self.request is not None else "?"
        code = f" code={self._close_code}" if self._close_code is not None else ""
        return f"<{type(self).__name__} {path} {self.state}{code}>"

    # -- running the handler -----------------------------------------------------------------
    async def _main(self, handler: ConnectionHandler) -> None:
        """Run ``handler`` and make sure the connection ends with it (1000, or 1011 on error)."""
        code = CloseCode.NORMAL_CLOSURE
        try:
            await handler(self)
        except (ConnectionClosed, InvalidHandshake):
            pass  # the client left, or the handshake was refused: nothing more to do
        except asyncio.CancelledError:
            self._abandon()
            raise
        except Exception as exc:
            logger.exception("WebSocket handler for %s raised", self.request.path)
            log_schema_hint(logger, exc)
            code = CloseCode.INTERNAL_ERROR
        if self._state is not CLOSED:
            try:
                await self.close(code)
            except ConnectionClosed:
                pass

    def _abandon(self) -> None:
        """The handler was cancelled (server shutdown): close without waiting, as best we can."""
        self._mark_closed(CloseCode.GOING_AWAY, "server shutting down")
