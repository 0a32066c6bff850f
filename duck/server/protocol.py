"""One HTTP/1.1 connection: an ``asyncio.Protocol`` that feeds h11 and runs one request cycle at a time.

    data_received ─► h11.Connection ─► Request event ─► checks (limits, smuggling) ─► body ─► EndOfMessage
        ─► task: handler.handle(request) ─► framed head + body (+ backpressure) ─► next cycle

h11 parses every request (head, Content-Length and chunked bodies, protocol errors). Responses are
framed by ``messages.render_head`` instead of ``h11.Connection.send``: the rules are few (RFC 9112 §6)
and skipping ``send`` removed about a third of the per-request time under cProfile. Since h11 then
never sees our response, each request cycle starts with a fresh ``h11.Connection`` fed with the
bytes left over from the previous one.

Requests on a connection are answered strictly in order (RFC 9112 §9.3.2): while a request is being
answered, bytes that arrive wait in h11's buffer and are parsed only after the response is complete.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11

from duck.http.body import SpooledBody
from duck.http.datastructures import Headers
from duck.http.proxy import apply_forwarded
from duck.http.request import Request
from duck.http.response import NO_BODY_STATUSES, HttpResponse, UpgradeResponse
from duck.server.config import ServerState
from duck.server.messages import (
    LAST_CHUNK,
    RequestRefused,
    ResponseHead,
    check_request,
    chunk,
    error_response,
    protocol_error_status,
    render_head,
    split_target,
    transfer_coding_status,
)
from duck.server.phases import BodyPace, Phase, eviction_rank

logger = logging.getLogger("duck.server")
access_logger = logging.getLogger("duck.access")

_IDLE, _HEAD, _BODY, _ANSWERING, _LINGER = Phase.IDLE, Phase.HEAD, Phase.BODY, Phase.ANSWERING, Phase.LINGER
# A body larger than this is written apart from its head rather than copied into one buffer.
_COPY_LIMIT = 64 * 1024


class RequestCycle:
    """One request/response exchange on a connection."""

    __slots__ = (
        "body",
        "bytes_sent",
        "event",
        "has_body",
        "head",
        "http11",
        "keep_alive",
        "request",
        "response_started",
        "start",
        "status",
        "task",
    )

    def __init__(self, event: h11.Request, keep_alive: bool, has_body: bool) -> None:
        self.event = event
        self.keep_alive = keep_alive
        self.has_body = has_body
        self.http11 = event.http_version == b"1.1"
        self.head = event.method == b"HEAD"
        self.body: SpooledBody | None = None
        self.request: Request | None = None
        self.task: asyncio.Task[None] | None = None
        self.response_started = False
        self.status = 0
        self.bytes_sent = 0
        self.start = 0.0  # loop time at dispatch, set only when the access log is on


class _ClientGone(Exception):
    """The peer closed the connection while we were answering: stop quietly."""


class HttpProtocol(asyncio.Protocol):
    """The HTTP/1.1 side of one connection (see the module docstring for the flow)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.config = state.config
        self.handler = state.handler
        self.loop = asyncio.get_running_loop()
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.config.max_head_size)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]  # set by connection_made
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int] | None = None
        self.cycle: RequestCycle | None = None
        self._busy = False  # a request is dispatched; new bytes wait in h11's buffer
        self._pending = 0  # bytes received while busy (pipelined requests)
        self._reading_paused = False
        self._writable = True
        self._drain_waiter: asyncio.Future[None] | None = None
        self._closing = False  # graceful shutdown: close once the response in flight is sent
        self.phase = _IDLE
        self._deadline = 0.0  # when the current phase's time is up (the timer may fire earlier)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._pace: BodyPace | None = None  # the deadline of the body being read (BODY phase)
        self._head_started = 0.0  # when the head being read started (HEAD phase), or the connection opened
        self._received = 0  # bytes of the head being read (HEAD phase), or dropped (LINGER phase)
        self._fresh = True  # no byte has come yet on this connection
        # The raw bytes of the head being parsed, kept only to tell why h11 refused a Transfer-Encoding.
        self._head_pieces: list[bytes] = []

    def __repr__(self) -> str:
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        state = "busy" if self._busy else "idle"
        return f"<HttpProtocol client={client} {state}>"

    # -- asyncio callbacks -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.client = _address(transport.get_extra_info("peername"))
        self.server = _address(transport.get_extra_info("sockname"))
        connections = self.state.connections
        if len(connections) >= self.config.max_connections and not self.state.make_room(self.loop.time()):
            logger.debug("Refusing %s: SERVER_MAX_CONNECTIONS (%d) reached", self.client, len(connections))
            self._refuse(503, "Too many connections; try again later.")
            return
        connections[transport] = self
        self.transport.set_write_buffer_limits(high=self.config.write_high_water)
        self._arm(_IDLE, self.config.keepalive_timeout)
        self._head_started = self._deadline - self.config.keepalive_timeout  # when it opened

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.pop(self.transport, None)
        self.phase = _ANSWERING  # no deadline is due any more
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._head_pieces = []
        cycle = self.cycle
        if cycle is not None:
            if cycle.task is not None and not cycle.task.done():
                cycle.task.cancel()  # nobody is left to read the answer
            elif cycle.body is not None:
                cycle.body.close()  # a body cut off mid-way: its memory or temporary file goes now
        self._wake_writer()

    def data_received(self, data: bytes) -> None:
        if self._busy:
            # Pipelining: keep the bytes for later, but stop reading if a client piles them up.
            self.conn.receive_data(data)
            self._pending += len(data)
            if self._pending > self.config.max_head_size and not self._reading_paused:
                self._reading_paused = True
                self.transport.pause_reading()
            return
        phase = self.phase
        if phase is _IDLE:
            self._fresh = False
            self._head_pieces = [data]
        elif phase is _HEAD:
            self._head_pieces.append(data)
            self._received += len(data)
        elif phase is _LINGER:
            self._drop(len(data))
            return
        self.conn.receive_data(data)
        self._handle_events()

    def _drop(self, size: int) -> None:
        """An error was sent: drop what still comes, but only up to SERVER_LINGER_MAX_BYTES."""
        self._received += size
        if self._received > self.config.linger_max_bytes:
            self.transport.close()

    def eof_received(self) -> bool:
        if self.phase is _LINGER:
            self.transport.close()
            return False
        self.conn.receive_data(b"")
        if not self._busy:
            self._handle_events()
        # Keep our half open: a response may still be on its way (half-close). TLS has no half-close
        # (the transport closes either way, and asyncio logs a warning when asked to keep it open).
        return self.state.scheme == "http"

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self._wake_writer()

    # -- graceful shutdown ---------------------------------------------------------------------
    def shutdown(self) -> None:
        """Close now if idle; otherwise let the request in flight finish and close after its response."""
        self._closing = True
        if not self._busy and self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def eviction_rank(self, now: float) -> float | None:
        """How readily this connection gives its slot up when the server is full (see ``phases``)."""
        phase = self.phase
        if phase is _BODY and self._pace is not None:
            return eviction_rank(phase, self._pace.received, now - self._pace.start, self.config.body_min_rate)
        return eviction_rank(
            phase, self._received, now - self._head_started, self.config.body_min_rate, fresh=self._fresh
        )

    def evict(self) -> None:
        """Give the slot up to a new connection: a request being read is told 503, then the connection closes."""
        transport = self.transport
        if self.phase in (_HEAD, _BODY) and not transport.is_closing():
            transport.write(error_response(503, "The server is full; try again.", self.state.date.current()))
        transport.close()

    @property
    def busy(self) -> bool:
        """True while a request is being answered."""
        return self._busy

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task answering the current request, if one is running."""
        cycle = self.cycle
        task = cycle.task if cycle is not None else None
        return task if task is not None and not task.done() else None

    # -- parsing ---------------------------------------------------------------------------------
    def _handle_events(self) -> None:
        conn = self.conn
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = protocol_error_status(exc)
                if status == 501:  # h11 says 501 for every Transfer-Encoding it refuses; some are 400
                    status = transfer_coding_status(b"".join(self._head_pieces))
                self._refuse(status, str(exc) if status == 501 else "Transfer-Encoding must end with chunked, once.")
                return
            event_type = type(event)
            if event_type is h11.Request:
                if not self._on_request(event):  # type: ignore[arg-type]
                    return
                if not self.cycle.has_body:  # type: ignore[union-attr]
                    # No body to wait for: h11's EndOfMessage would consume nothing, so skip asking for
                    # it (this connection's h11 state is replaced after the response anyway).
                    self._dispatch()
                    return
            elif event_type is h11.Data:
                if not self._on_body(event.data):  # type: ignore[union-attr]
                    return
            elif event_type is h11.EndOfMessage:
                self._dispatch()
                return
            elif event_type is h11.ConnectionClosed:
                self.transport.close()
                return
            else:  # NEED_DATA (or PAUSED while a protocol switch is pending)
                if self.phase is _BODY:
                    self._arm_at(_BODY, self._pace.deadline())  # type: ignore[union-attr]  # progress moves it
                elif self.phase is _IDLE:
                    self._head_started = self.loop.time()
                    self._received = sum(len(piece) for piece in self._head_pieces)
                    self._arm(_HEAD, self.config.head_timeout)  # part of a head came: the rest is due
                return

    def _on_request(self, event: h11.Request) -> bool:
        self._head_pieces = []
        try:
            keep_alive, has_body = check_request(event, self.config)
        except RequestRefused as exc:
            self._refuse(exc.status, exc.message)
            return False
        self.cycle = RequestCycle(event, keep_alive, has_body)
        if has_body:
            config = self.config
            self.phase = _BODY
            self._pace = BodyPace(
                self.loop.time(),
                stall=config.head_timeout,
                min_rate=config.body_min_rate,
                grace=config.body_rate_grace,
            )
        if self.conn.they_are_waiting_for_100_continue:
            # RFC 9110 §10.1.1: the limits passed, so invite the body; sent before we read any of it.
            interim = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            self.transport.write(self.conn.send(interim))  # type: ignore[arg-type]
        return True

    def _on_body(self, data: bytes) -> bool:
        cycle = self.cycle
        assert cycle is not None and self._pace is not None
        config = self.config
        body = cycle.body
        if body is None:
            body = cycle.body = SpooledBody(config.body_memory_limit, config.upload_temp_dir)
        if body.size + len(data) > config.max_body_size:  # chunked bodies have no size up front
            body.close()
            self._refuse(413, f"The request body is larger than {config.max_body_size} bytes.")
            return False
        body.write(data)  # past body_memory_limit this goes to a temporary file, not to memory
        self._pace.progress(len(data), self.loop.time())
        return True

    def _dispatch(self) -> None:
        cycle = self.cycle
        assert cycle is not None
        event = cycle.event
        try:
            path, query, authority = split_target(event.target)
        except ValueError:
            self._refuse(400, "Malformed request target.")
            return
        self.phase = _ANSWERING  # no deadline while the request is answered
        self._pace = None
        headers = Headers.from_raw(event.headers.raw_items())  # a list: faster than iterating h11 Headers
        if authority is not None:
            headers["host"] = authority  # RFC 9112 §3.2.2: an absolute-form target's authority wins
        body = cycle.body
        cycle.body = None
        cycle.request = Request(
            event.method.decode("ascii"),
            path,
            query_string=query,
            headers=headers,
            body=b"" if body is None else body.read() if body.in_memory else body,
            client=self.client,
            server=self.server,
            scheme=self.state.scheme,
            http_version=event.http_version.decode("ascii"),
        )
        apply_forwarded(cycle.request)  # TRUSTED_PROXIES: the client, scheme and host nginx saw
        self._busy = True
        if self.config.access_log and access_logger.isEnabledFor(logging.INFO):
            cycle.start = self.loop.time()
        # The task is found through the connection registry at shutdown (no per-request set bookkeeping).
        cycle.task = self.loop.create_task(self._run(cycle))

    # -- answering -------------------------------------------------------------------------------
    async def _run(self, cycle: RequestCycle) -> None:
        request = cycle.request
        assert request is not None
        response: Any = None
        try:
            response = await self.handler.handle(request)
            if isinstance(response, UpgradeResponse):
                self._upgrade(response)
                return
            await self._send(cycle, response)
        except _ClientGone:
            return
        except Exception:
            # The Handler turns view errors into responses, so this is a bug in duck or a broken response.
            logger.exception("Error while answering %s %s", request.method, request.path)
            self._fail(cycle)
            return
        finally:
            # Release uploads, files and iterators (inlined rather than a helper: this runs per request).
            try:
                request.close()
            except Exception:
                logger.exception("Error while closing %r", request)
            if response is not None:
                try:
                    response.close()
                except Exception:
                    logger.exception("Error while closing %r", response)
        if cycle.start:
            self._log_access(cycle)
        self._cycle_done(cycle)

    async def _send(self, cycle: RequestCycle, response: HttpResponse) -> None:
        """Write the response; the head is framed here rather than by h11 (see ``render_head``)."""
        status = response.status_code
        head = render_head(
            status,
            response.reason_phrase.encode("latin-1"),
            response.header_list(),
            streaming=response.streaming,
            http11=cycle.http11,
            keep_alive=cycle.keep_alive and not self._closing,
            extra=self.state.date.block(),
        )
        cycle.status = status
        cycle.keep_alive = head.keep_alive
        transport = self.transport
        if transport.is_closing():
            raise _ClientGone
        # RFC 9110 §9.3.2: HEAD gets the headers a GET would (Content-Length included) but no body.
        no_body = cycle.head or status in NO_BODY_STATUSES
        if not response.streaming:
            body = b"" if no_body else response.content
            if head.chunked:
                body = chunk(body) + LAST_CHUNK if body else (b"" if no_body else LAST_CHUNK)
            elif body and head.length != len(body):
                raise ValueError(f"Content-Length {head.length} does not match the body ({len(body)} bytes).")
            cycle.response_started = True
            cycle.bytes_sent = len(body)
            if len(body) > _COPY_LIMIT:
                transport.writelines((head.data, body))
            else:
                transport.write(head.data + body)  # one write, one send() for the common case
            return
        cycle.response_started = True
        transport.write(head.data)
        if not no_body:
            await self._stream(cycle, response, head)

    async def _stream(self, cycle: RequestCycle, response: HttpResponse, head: ResponseHead) -> None:
        """Send a streaming body piece by piece, waiting while the client's buffer is full."""
        transport = self.transport
        chunked = head.chunked
        declared = head.length
        sent = 0
        pieces = response.iter_async()
        try:
            async for data in pieces:
                if not data:
                    continue  # an empty chunk would end a chunked body early
                if transport.is_closing():
                    raise _ClientGone
                sent += len(data)
                if declared is not None and sent > declared:
                    raise ValueError(f"The stream is longer than its Content-Length ({declared}).")
                transport.write(chunk(data) if chunked else data)
                cycle.bytes_sent = sent
                if not self._writable:
                    await self._drain()
        finally:
            await pieces.aclose()  # type: ignore[attr-defined]
        if transport.is_closing():
            raise _ClientGone
        if chunked:
            transport.write(LAST_CHUNK)
        elif declared is not None and sent != declared:
            raise ValueError(f"The stream ended after {sent} of its {declared} bytes.")

    async def _drain(self) -> None:
        """Wait until the transport's buffer drops below its low-water mark (resume_writing)."""
        waiter = self.loop.create_future()
        self._drain_waiter = waiter
        try:
            await waiter
        finally:
            self._drain_waiter = None
        if self.transport.is_closing():
            raise _ClientGone

    def _wake_writer(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _cycle_done(self, cycle: RequestCycle) -> None:
        self.cycle = None
        self._busy = False
        transport = self.transport
        if self._closing or not cycle.keep_alive or transport.is_closing():
            transport.close()  # Connection: close, HTTP/1.0, a body delimited by close, or shutdown
            return
        # h11 did not see the response (we framed it), so the next request gets a fresh h11 state
        # machine, fed with whatever bytes arrived after this request (pipelining).
        trailing, closed = self.conn.trailing_data
        self.conn = conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.config.max_head_size)
        self._pending = 0
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        if not trailing and not closed:
            self._arm(_IDLE, self.config.keepalive_timeout)
            return
        self._arm(_HEAD, self.config.head_timeout)
        self._head_started = self.loop.time()
        self._head_pieces = [trailing]
        self._received = len(trailing)
        if trailing:
            conn.receive_data(trailing)
        if closed:
            conn.receive_data(b"")
        self._handle_events()

    def _upgrade(self, response: UpgradeResponse) -> None:
        """Hand the transport to the protocol the upgrade built (a WebSocket); h11 sends nothing."""
        transport = self.transport
        self.phase = _ANSWERING  # the WebSocket has deadlines of its own
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.cycle = None
        self._busy = False
        if transport.is_closing():
            return
        protocol = response.make_protocol()
        trailing, closed = self.conn.trailing_data
        self.state.upgrade(transport, protocol)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if trailing:
            protocol.data_received(trailing)
        if closed:
            protocol.eof_received()
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()

    # -- errors ----------------------------------------------------------------------------------
    def _fail(self, cycle: RequestCycle) -> None:
        """A crash while answering: 500 if nothing was sent yet, otherwise the connection is cut."""
        if cycle.response_started:
            self.transport.close()
        else:
            self._refuse(500, "The server failed to produce a response.")

    def _refuse(self, status: int, message: str) -> None:
        """Send a short error response with ``Connection: close`` and close (after a lingering read)."""
        transport = self.transport
        self._busy = False
        if transport.is_closing() or self.phase is _LINGER:
            return  # closed, or an error response was sent already
        transport.write(error_response(status, message[:200], self.state.date.current()))
        cycle = self.cycle
        if cycle is not None and cycle.body is not None:
            cycle.body.close()  # a refused body's memory or temporary file goes now
        if transport.can_write_eof():
            transport.write_eof()
            self._received = 0
            self._arm(_LINGER, self.config.linger_timeout)
            if self._reading_paused:
                self._reading_paused = False
                transport.resume_reading()
        else:
            self.phase = _LINGER  # TLS cannot half-close: drop what still arrives (never parse it)
            transport.close()

    # -- timer -----------------------------------------------------------------------------------
    def _arm(self, phase: Phase, timeout: float) -> None:
        """Enter ``phase``, guarded by a deadline ``timeout`` seconds from now."""
        self._arm_at(phase, self.loop.time() + timeout)

    def _arm_at(self, phase: Phase, deadline: float) -> None:
        """Enter ``phase`` with its deadline; the one timer handle is moved only when it must fire sooner."""
        self.phase = phase
        self._deadline = deadline
        timer = self._timer
        if timer is None or deadline < self._timer_when:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(deadline, self._on_timer)
            self._timer_when = deadline

    def _on_timer(self) -> None:
        self._timer = None
        phase = self.phase
        if phase is _ANSWERING or self.transport.is_closing():
            return
        now = self.loop.time()
        if now < self._deadline:  # the deadline moved later since this timer was set
            self._arm_at(phase, self._deadline)
            return
        if phase is _HEAD:
            self._refuse(408, f"The request head was not complete within {self.config.head_timeout:g} seconds.")
        elif phase is _BODY:
            pace = self._pace
            assert pace is not None
            reason = pace.too_slow(now)
            if reason is None:
                self._arm_at(_BODY, pace.deadline())
            else:
                self._refuse(408, reason)
        else:
            self.transport.close()  # an idle keep-alive connection, or the end of a lingering close

    def _log_access(self, cycle: RequestCycle) -> None:
        request = cycle.request
        assert request is not None
        client = f"{request.client[0]}:{request.client[1]}" if request.client else "-"  # behind a proxy: the real one
        access_logger.info(
            '%s - "%s %s HTTP/%s" %d %d %.1fms',
            client,
            request.method,
            request.get_full_path(),
            request.http_version,
            cycle.status,
            cycle.bytes_sent,
            (self.loop.time() - cycle.start) * 1000,
        )


def _address(address: Any) -> tuple[str, int] | None:
    if isinstance(address, tuple) and len(address) >= 2:
        return (str(address[0]), int(address[1]))
    return None
