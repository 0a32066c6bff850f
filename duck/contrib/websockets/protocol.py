"""A WebSocket connection over duck's own server: an ``asyncio.Protocol`` around ``websockets``' sans-I/O core.

The server hands the transport over after the upgrade request was dispatched; from then on::

    data_received ─► FrameSplitter ─┬─ whole messages ─────────────────────────► assemble ─► queue ─► receive()
                                     └─ ServerProtocol.receive_data ─► Frame events ─┘
    send_text ─► server_frame() ─► transport.write          (no extension agreed)
    send_text ─► ServerProtocol.send_text ─► data_to_send() ─► transport.write    (permessage-deflate)

``websockets`` does the protocol work: the handshake response, frame parsing, the masking
rule (RFC 6455 §5.1), control-frame rules (§5.5), the close handshake (§7) and permessage-deflate
(RFC 7692). Without an extension, the frames that are whole text/binary messages are read by
:class:`~duck.contrib.websockets.framing.FrameSplitter` and messages are framed here, which
costs a fraction of the generic path; every other frame still goes through ``websockets``.
Its ``max_size=(message cap, frame cap)`` bounds every frame and every fragmented
message *after decompression*, so a small compressed frame cannot inflate past the cap (1009).
This module adds what a sans-I/O core cannot: fragment assembly and UTF-8 validation of text
(§5.4, §8.1), flow control both ways, and one lazily re-armed timer per connection that drives
the receive timeout, keepalive pings and the close timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol

from duck.contrib.websockets.assembler import MessageAssembler
from duck.contrib.websockets.connection import (
    CLOSED,
    CONNECTING,
    OPEN,
    ConnectionHandler,
    Message,
    PreparedFrame,
    WebSocketConnection,
)
from duck.contrib.websockets.deadlines import Deadlines, Due
from duck.contrib.websockets.deflate import LazyDeflate
from duck.contrib.websockets.enums import CloseCode
from duck.contrib.websockets.framing import FrameSplitter
from duck.contrib.websockets.handshake import to_websockets_request
from duck.contrib.websockets.receive_queue import ReceiveQueue
from duck.contrib.websockets.sansio import DuckServerProtocol, check_close, close_info, server_frame
from duck.exceptions import InvalidHandshake, InvalidMessage
from duck.utils.asyncio import current_owner
from duck.utils.asyncio.supervisor import spawn
from duck.utils.flow import LazyTimer, WriteFlow, close_lost_transport
from duck.utils.heap import heap_trimmer

if TYPE_CHECKING:
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.http.request import Request

__all__ = ["WebSocketProtocol"]

# websockets' own logger, outside the "duck" tree: its per-connection INFO lines ("connection
# closed") stay quiet unless asked for, while duck's server logs "duck" at INFO.
_ws_logger = logging.getLogger("websockets.server")
logger = logging.getLogger("duck.websockets")

_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
_OPCODES = {1: _TEXT, 2: _BINARY}
_WS_OPEN = State.OPEN
_CLOSED_SENTINEL: Any = object()

# Bytes a client may send before the 101 response is written (it should send none).
_MAX_EARLY_DATA = 64 * 1024
# A timer may fire up to the clock resolution early; deadlines this close count as reached.
_TIMER_SLACK = 0.001


class WebSocketProtocol(asyncio.Protocol, WebSocketConnection):
    """The server side of one WebSocket connection on duck's server.

    Built by ``UpgradeResponse.make_protocol()``; the server then calls ``connection_made``,
    feeds any bytes that followed the upgrade request, and calls :meth:`shutdown` at graceful
    shutdown.

    Timers (one ``loop.call_at`` handle, moved only when a deadline comes sooner):

    - ``receive_timeout``: no frame at all (data, ping or pong) from the client for that long
      closes the connection with **1001 (going away), reason "receive timeout"**;
    - ``ping_interval``: after that long without a frame from the client, a ping is sent;
      if nothing arrives within ``ping_timeout`` the connection fails with **1011**;
    - ``close_timeout``: once a close frame was sent or received, the TCP connection is
      dropped if the client has not closed it within that time (RFC 6455 §7.1.1: the server
      closes TCP first, with a half-close once the close frames are exchanged);
    - ``compression_idle_release``: while permessage-deflate holds zlib contexts, every that
      many seconds: if nothing was compressed or decompressed since the last look, they are freed.
    """

    __slots__ = (
        "_assembler",
        "_deadlines",
        "_deflate",
        "_early",
        "_flow",
        "_handler",
        "_loop",
        "_lost",
        "_lost_waiter",
        "_plain_frames",
        "_queue",
        "_read_paused",
        "_splitter",
        "_timer",
        "_transport",
        "_waiter",
        "_ws",
        "on_released",
    )

    def __init__(self, request: Request, handler: ConnectionHandler, options: ConnectionOptions) -> None:
        WebSocketConnection.__init__(self, request, options)
        self._handler: ConnectionHandler | None = handler  # until connection_made starts it
        self._transport: Any = None
        self._loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._ws: DuckServerProtocol = None  # type: ignore[assignment]
        self._queue: ReceiveQueue[Message] = ReceiveQueue(options.receive_high_water)
        self._waiter: asyncio.Future[Any] | None = None
        self._assembler = MessageAssembler(options.max_message_size)
        self._early: bytearray | None = None
        self._flow = WriteFlow()
        self._read_paused = False
        self._lost = False
        self._lost_waiter: asyncio.Future[None] | None = None
        self._plain_frames = False  # no extension agreed: messages are framed here (set by _accept)
        self._splitter: FrameSplitter | None = None  # the same: whole messages are read here too
        self._timer: LazyTimer = None  # type: ignore[assignment]  # set by connection_made (needs the loop)
        self._deadlines: Deadlines = None  # type: ignore[assignment]  # set by connection_made
        self._deflate: LazyDeflate | None = None  # set by _accept when its contexts may be released
        # Called once when the connection is gone (the server forgets it there); set by the server.
        self.on_released: Callable[[], None] | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Take the transport over and start the handler (which accepts the handshake)."""
        self._transport = transport
        self._loop = loop = asyncio.get_running_loop()
        self._timer = LazyTimer(loop, self._on_timer)
        options = self.options
        transport.set_write_buffer_limits(high=options.write_high_water)  # type: ignore[attr-defined]
        self._ws = DuckServerProtocol(
            state=_WS_OPEN,  # the HTTP side was parsed by duck's server; only frames come now
            extensions=options.extensions or None,
            subprotocols=[Subprotocol(name) for name in options.subprotocols] or None,
            max_size=options.max_size,
            logger=_ws_logger,
        )
        self._deadlines = Deadlines(
            loop.time(),
            receive_timeout=options.receive_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            close_timeout=options.close_timeout,
            compression_idle=options.compression_idle_release,
        )
        context = contextvars.copy_context()
        context.run(current_owner.set, self)  # tasks created by the handler belong to this connection
        handler, self._handler = self._handler, None  # the task holds it; the view holds us: no cycle
        assert handler is not None, "connection_made() called twice"
        spawn(self._main(handler), name=f"websocket {self.request.path}", context=context)

    def data_received(self, data: bytes) -> None:
        state = self._state
        if state is OPEN:
            splitter = self._splitter
            if splitter is None:
                self._read_core(data)
            else:
                self._read_split(splitter.feed(data))
        elif state is CONNECTING:
            self._keep_early(data)
        elif self._ws.state is not _WS_OPEN:
            self._read_core(data)  # closing: websockets still reads the client's close frame
        # else the handshake was refused: there is no WebSocket to read from

    def _read_split(self, items: list[tuple[int, bytes] | bytes]) -> None:
        """Whole messages read by the splitter, and bytes for websockets' core, in stream order."""
        taken = False
        for item in items:
            if isinstance(item, bytes):
                self._read_core(item)
            elif self._state is OPEN:  # once closing, data frames are dropped (as the core drops them)
                opcode, payload = item
                try:
                    message = self._assembler.feed(_OPCODES[opcode], payload, True)
                except InvalidMessage as exc:
                    self._fail(exc.code, exc.reason)
                    continue  # what follows goes to the failed core, which discards it
                taken = True
                if message is not None:  # always, for a frame with FIN
                    self._put(message)
        if taken:
            self._deadlines.frame_received(self._loop.time())

    def _read_core(self, data: bytes) -> None:
        """Feed websockets' core; deliver the messages of the frames it parsed; write what it answered."""
        ws = self._ws
        ws.receive_data(data)
        events = cast("list[Frame]", ws.events_received())  # after the handshake only frames come
        if self._state is OPEN:
            if events:
                self._deadlines.frame_received(self._loop.time())
            for frame in events:
                opcode = frame.opcode
                if opcode is _TEXT or opcode is _BINARY or opcode is _CONT:
                    try:
                        message = self._assembler.feed(opcode, frame.data, frame.fin)
                    except InvalidMessage as exc:
                        self._fail(exc.code, exc.reason)
                        break  # the connection failed on this frame: what follows is not delivered
                    if message is not None:
                        self._put(message)
                # Pings are answered by websockets (the pong is in data_to_send); pongs and close
                # frames need nothing here: any frame is activity, and the state is checked below.
        # Once closing, websockets still reads the client's close frame (and drops data frames).
        self._flush()
        if self._state is OPEN and ws.state is not _WS_OPEN:
            self._closing()

    def _keep_early(self, data: bytes) -> None:
        early = self._early
        if early is None:
            early = self._early = bytearray()
        early += data
        if len(early) > _MAX_EARLY_DATA:
            self._transport.abort()

    def eof_received(self) -> bool:
        """The client half-closed: websockets ends its side (RFC 6455 §7.1.1); the transport then closes."""
        if self._state is not OPEN and self._ws.state is _WS_OPEN:
            # Gone before the handshake completed, or after it was refused: no WebSocket to close.
            self._mark_closed(CloseCode.ABNORMAL_CLOSURE)
            self._transport.close()
            return False
        self._ws.receive_eof()
        self._flush()
        self._closing()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """TCP is gone: wake every waiter, release what the connection buffers, leave the server's registry."""
        self._lost = True
        self._timer.close()
        if self._state is not CLOSED:
            self._mark_closed(*close_info(self._ws))
        waiter = self._lost_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._flow.lost()
        if self._transport is not None:
            close_lost_transport(self._transport)
        self._release()
        released, self.on_released = self.on_released, None
        if released is not None:
            released()

    def _release(self) -> None:
        """Drop every buffer at once, however the connection ended: the handler may outlive it.

        The websockets core holds the partial frame being read, and the compression contexts
        (tens of KiB); unread complete messages are dropped too, since nobody can answer them.
        """
        deflate, self._deflate = self._deflate, None
        if deflate is not None:
            deflate.on_allocate = None  # the extension pointed back here: no cycle outlives the connection
        core, self._ws = self._ws, _released_core()
        if core is not None and core is not _RELEASED_CORE:  # None: lost before connection_made
            core.break_cycles()  # freed now by reference counting, not at the next full collection
        self._queue.clear()
        self._early = None

    def pause_writing(self) -> None:
        self._flow.pause()

    def resume_writing(self) -> None:
        self._flow.resume()

    def shutdown(self) -> None:
        """Graceful server shutdown: close with 1001 (going away) and let the close handshake run."""
        if self._state is CONNECTING:
            self._mark_closed(CloseCode.GOING_AWAY, "server shutting down")
            self._transport.close()
        elif self._state is OPEN:
            self._close_now(CloseCode.GOING_AWAY, "server shutting down")

    # -- handshake -----------------------------------------------------------------------------
    async def _accept(self, subprotocol: str | None, headers: Iterable[tuple[str, str]] | None) -> None:
        ws = self._ws
        if subprotocol is not None:
            ws.available_subprotocols = [Subprotocol(subprotocol)]
        response = ws.accept(to_websockets_request(self.request))
        if response.status_code != 101:
            self._refuse(response)
            raise InvalidHandshake(response.body.decode(errors="replace").strip(), response.status_code)
        for name, value in headers or ():
            response.headers[name] = value
        self._transport.write(response.serialize())
        self.subprotocol = ws.subprotocol
        self._plain_frames = not ws.extensions
        if self._plain_frames:
            self._splitter = FrameSplitter(self.options.whole_message_cap)
        if self.options.compression_idle_release is not None:
            self._watch_compression(ws)
        self._mark_open()
        self._arm()
        early, self._early = self._early, None
        if early:
            self.data_received(bytes(early))

    def _watch_compression(self, ws: DuckServerProtocol) -> None:
        for extension in ws.extensions:
            if isinstance(extension, LazyDeflate):
                extension.on_allocate = self._compression_allocated
                extension.on_release = heap_trimmer.freed  # released in bursts: give the heap back
                self._deflate = extension

    def _compression_allocated(self) -> None:
        self._deadlines.compression_held(self._loop.time())
        self._arm()

    def _refuse(self, response: Any) -> None:
        """Answer the upgrade request with an HTTP error instead of 101, then close."""
        self._mark_closed(CloseCode.ABNORMAL_CLOSURE, "handshake refused")
        transport = self._transport
        if not transport.is_closing():
            transport.write(response.serialize())
            self._half_close()

    # -- receiving -------------------------------------------------------------------------------
    def _put(self, message: Message) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(message)  # hand over directly: the handler was waiting
                return
        if self._queue.put(message, len(message)) and not self._read_paused:
            self._read_paused = True
            self._transport.pause_reading()

    async def _receive(self) -> Message:
        queue = self._queue
        if queue:
            message = queue.get()
            if self._read_paused and queue.has_room and self._state is OPEN:
                self._read_paused = False
                self._transport.resume_reading()
            return message
        if self._state is not OPEN:
            raise self._closed_error()
        if self._waiter is not None:
            raise RuntimeError("receive() is already being awaited by another task.")
        waiter = self._waiter = self._loop.create_future()
        try:
            message = await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None
        if message is _CLOSED_SENTINEL:
            raise self._closed_error()
        return cast(Message, message)

    # -- sending ---------------------------------------------------------------------------------
    # Without an extension a data frame needs nothing from websockets' core (it is OPEN whenever
    # the connection is, and its output is flushed after every call, so nothing overtakes): the
    # frame is built and written here, ~1 us less per message than Frame + serialize + flush.
    async def _send_text(self, data: str) -> None:
        if self._plain_frames:
            self._transport.write(server_frame(1, data.encode()))
        else:
            self._ws.send_text(data.encode())
            self._flush()
        if self._flow.paused and not await self._flow.drain():
            raise self._closed_error()

    async def _send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        if self._plain_frames:
            self._transport.write(server_frame(2, data))
        else:
            self._ws.send_binary(data)
            self._flush()
        if self._flow.paused and not await self._flow.drain():
            raise self._closed_error()

    async def _send_prepared(self, frame: PreparedFrame) -> None:
        # The shared, uncompressed bytes are valid with permessage-deflate too (RSV1 clear,
        # RFC 7692 §6): websockets' sans-I/O state is not involved, so they go straight out.
        self._transport.write(frame.frame)
        if self._flow.paused and not await self._flow.drain():
            raise self._closed_error()

    def try_send_prepared(self, frame: PreparedFrame, max_buffer: int) -> bool:
        # The broadcast fast path: one transport.write of shared bytes, no await, no queue.
        # The transport's own buffer is the per-connection queue; its size is the backlog.
        # While the transport has not paused us its buffer is at most the high-water mark, so
        # it is only asked for its size when paused or when max_buffer is not above that mark.
        if self._state is not OPEN:
            return False
        transport = self._transport
        if (
            self._flow.paused or max_buffer <= self.options.write_high_water
        ) and transport.get_write_buffer_size() >= max_buffer:
            return False
        transport.write(frame.frame)
        return True

    def close_nowait(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        if self._state is OPEN:
            check_close(code, reason)
            self._close_now(code, reason)  # the close frame queues behind what is buffered
        elif self._state is CONNECTING:
            self._mark_closed(code, reason)
            self._transport.close()

    async def _ping(self, data: bytes) -> None:
        self._ws.send_ping(data)
        self._flush()
        if self._flow.paused and not await self._flow.drain():
            raise self._closed_error()

    def _flush(self) -> None:
        """Write what websockets produced; an empty chunk means "half-close now" (SEND_EOF)."""
        writes = self._ws.data_to_send()
        if not writes:
            return
        transport = self._transport
        if transport.is_closing():
            return
        for data in writes:
            if data:
                transport.write(data)
            else:
                self._half_close()

    def _half_close(self) -> None:
        # RFC 6455 §7.1.1: the server closes the TCP connection first. A half-close (FIN) lets
        # the client's last bytes arrive; the close deadline drops the connection if it lingers.
        transport = self._transport
        if transport.can_write_eof():
            transport.write_eof()
        else:
            transport.close()  # TLS cannot half-close
        self._start_close_deadline()

    # -- closing ---------------------------------------------------------------------------------
    async def _close(self, code: int, reason: str) -> None:
        if self._state is CONNECTING:
            self._refuse(self._ws.reject(403, "WebSocket connection refused.\n"))
        elif self._state is OPEN:
            self._close_now(code, reason)
        if self._lost:
            return
        waiter = self._lost_waiter
        if waiter is None:
            waiter = self._lost_waiter = self._loop.create_future()
        await asyncio.shield(waiter)  # bounded: the close deadline aborts the transport

    def _close_now(self, code: int, reason: str) -> None:
        """Start the closing handshake from our side (RFC 6455 §7.1.2)."""
        if self._state is OPEN and self._ws.state is _WS_OPEN:
            self._ws.send_close(code, reason)
            self._flush()
        self._closing()

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 §7.1.7): close frame, then TCP closes without waiting."""
        self._ws.fail(code, reason)
        self._flush()
        self._closing()

    def _closing(self) -> None:
        """websockets left OPEN: the application sees the connection closed; bound the TCP close."""
        if self._state is not CLOSED:
            self._mark_closed(*close_info(self._ws))
        self._start_close_deadline()

    def _start_close_deadline(self) -> None:
        if not self._deadlines.is_closing and not self._lost:
            self._deadlines.closing(self._loop.time())
            self._arm()

    def _mark_closed(self, code: int, reason: str = "") -> None:
        WebSocketConnection._mark_closed(self, code, reason)
        self._assembler.reset()
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(_CLOSED_SENTINEL)
        if self._read_paused and not self._lost:
            self._read_paused = False
            self._transport.resume_reading()  # keep reading: the close frame must get through

    def _abandon(self) -> None:
        if self._state is OPEN:
            self._close_now(CloseCode.GOING_AWAY, "server shutting down")
        elif self._state is CONNECTING:
            self._mark_closed(CloseCode.GOING_AWAY, "server shutting down")
            self._transport.close()

    # -- the timer -------------------------------------------------------------------------------
    def _arm(self) -> None:
        """Make the one timer fire at the next deadline; an existing earlier timer re-arms itself."""
        deadline = self._deadlines.next_deadline() if self._state is OPEN or self._deadlines.is_closing else None
        if deadline is None:
            self._timer.cancel()
        else:
            self._timer.at(deadline)

    def _on_timer(self) -> None:
        if self._lost:
            return
        deadlines = self._deadlines
        now = self._loop.time() + _TIMER_SLACK
        if self._read_paused and not deadlines.is_closing:
            deadlines.frame_received(now)  # we stopped reading, not the client: it is not idle
        if deadlines.compression_check_due(now):
            self._check_compression(now)
        due = deadlines.due(now)
        if due is Due.CLOSE_TIMEOUT:
            self._transport.abort()  # the client never finished closing
            return
        if due is Due.RECEIVE_TIMEOUT:
            self._close_now(CloseCode.GOING_AWAY, "receive timeout")
        elif due is Due.PING_TIMEOUT:
            logger.info(
                "Closing WebSocket %s from %s: no answer to a keepalive ping within %gs.",
                self.request.path,
                _peer(self.request),
                self.options.ping_timeout,
            )
            self._fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
        elif due is Due.PING:
            self._ws.send_ping(b"")
            self._flush()
            deadlines.ping_sent(self._loop.time())
        self._arm()

    def _check_compression(self, now: float) -> None:
        """Free the zlib contexts if nothing was compressed or decompressed since the last check."""
        deflate = self._deflate
        if deflate is not None and deflate.used:
            deflate.used = False
            self._deadlines.compression_held(now)
        elif deflate is None or deflate.release():
            self._deadlines.compression_released()
        else:
            self._deadlines.compression_held(now)  # half-way through a fragmented message: later


_RELEASED_CORE: DuckServerProtocol | None = None


def _released_core() -> DuckServerProtocol:
    """A closed, empty core shared by every connection whose TCP is gone, in place of its own.

    Every use of the core after that is guarded by the connection's CLOSED state, so the stand-in
    is never fed or asked to send; it only lets the connection drop its real core at once.
    """
    global _RELEASED_CORE
    if _RELEASED_CORE is None:
        _RELEASED_CORE = DuckServerProtocol(state=State.CLOSED, logger=_ws_logger)
    return _RELEASED_CORE


def _peer(request: Request) -> str:
    client = request.client
    return f"{client[0]}:{client[1]}" if client else "an unknown client"
