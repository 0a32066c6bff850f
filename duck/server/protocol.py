"""One HTTP/1.1 connection: an ``asyncio.Protocol`` that feeds a parser and runs one request cycle at a time.

    data_received ─► parser (httptools or h11) ─► RequestHead ─► checks (limits, smuggling) ─► body ─► END
        ─► task: handler.handle(request) ─► framed head + body (+ backpressure) ─► next cycle

The parser (``parsing.py``) turns bytes into events; this module is the glue: it checks each head
(``messages.check_request``), collects the body (spooled past ``DATA_UPLOAD_MAX_MEMORY_SIZE``),
dispatches the request, and guards every phase with a deadline (``phases.py``). Responses are
framed by duck (``responses.py``), not by the parser.

Requests on a connection are answered strictly in order (RFC 9112 §9.3.2). While a request is
being answered, the events the parser already produced for the next one wait in ``_queued`` and
bytes that arrive wait unparsed in ``_backlog`` (reading pauses once it holds more than a head's
worth); both are taken up once the response is complete.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from duck.exceptions import HttpError
from duck.http.body import SpooledBody
from duck.http.datastructures import Headers
from duck.http.proxy import apply_forwarded
from duck.http.request import Request
from duck.http.response import UpgradeResponse
from duck.server.access_log import AccessLog
from duck.server.config import ServerState
from duck.server.messages import check_request, render_error, split_target
from duck.server.parsing import CLOSED, END, Event, RequestHead, make_parser
from duck.server.phases import NEW_CONNECTION_GRACE, BodyPace, Phase, eviction_rank
from duck.server.responses import Sent, _ClientGone, send_response
from duck.utils.flow import LazyTimer, WriteFlow, close_lost_transport

logger = logging.getLogger("duck.server")

_IDLE, _HEAD, _BODY, _ANSWERING, _LINGER = Phase.IDLE, Phase.HEAD, Phase.BODY, Phase.ANSWERING, Phase.LINGER
_WAITING = Phase.WAITING
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_FULL = "Too many connections; try again later."


class RequestCycle:
    """One request/response exchange on a connection."""

    __slots__ = ("body", "has_body", "head", "keep_alive", "request", "sent", "start", "task")

    def __init__(self, head: RequestHead, keep_alive: bool, has_body: bool) -> None:
        self.head = head
        self.keep_alive = keep_alive
        self.has_body = has_body
        self.body: SpooledBody | None = None
        self.request: Request | None = None
        self.task: asyncio.Task[None] | None = None
        self.sent = Sent()
        self.start = 0.0  # loop time at dispatch, set only when the access log is on


class HttpProtocol(asyncio.Protocol):
    """The HTTP/1.1 side of one connection (see the module docstring for the flow)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.config = config = state.config
        self.handler = state.handler
        self.loop = asyncio.get_running_loop()
        self.parser = make_parser(config.http_parser, config.max_head_size)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]  # set by connection_made
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int] | None = None
        self.cycle: RequestCycle | None = None
        self._busy = False  # a request is dispatched; what comes next waits
        self._queued: list[Event] = []  # events parsed beyond the request being answered
        self._backlog: list[bytes] = []  # bytes received while busy, not parsed yet
        self._pending = 0  # their size
        self._eof = False  # the client half-closed while busy
        self._reading_paused = False
        self._flow = WriteFlow()
        self._closing = False  # graceful shutdown: close once the response in flight is sent
        self.phase = _IDLE
        self._deadline = 0.0  # when the current phase's time is up (the timer may fire earlier)
        self._timer = LazyTimer(self.loop, self._on_timer)
        self._pace: BodyPace | None = None  # the deadline of the body being read (BODY phase)
        self._head_started = 0.0  # when the head being read started (HEAD phase), or the connection opened
        self._received = 0  # bytes of the head being read (HEAD phase), or dropped (LINGER phase)
        self._fresh = True  # no byte has come yet on this connection

    def __repr__(self) -> str:
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        state = "busy" if self._busy else "idle"
        return f"<HttpProtocol client={client} {state}>"

    # -- asyncio callbacks -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.client = _address(transport.get_extra_info("peername"))
        self.server = _address(transport.get_extra_info("sockname"))
        state = self.state
        if not state.has_room(self.loop.time()):
            if state.wait_for_room(self):
                self._arm(_WAITING, NEW_CONNECTION_GRACE)  # what it sends meanwhile waits in the backlog
                return
            logger.debug("Refusing %s: SERVER_MAX_CONNECTIONS (%d) reached", self.client, len(state.connections))
            self._refuse(503, _FULL)
            return
        self._hold_slot()

    def _hold_slot(self) -> None:
        self.state.connections[self.transport] = self
        self.transport.set_write_buffer_limits(high=self.config.write_high_water)
        self._arm(_IDLE, self.config.keepalive_timeout)
        self._head_started = self._deadline - self.config.keepalive_timeout  # when it opened

    def connection_lost(self, exc: Exception | None) -> None:
        state = self.state
        if state.connections.pop(self.transport, None) is not None and state.waiting:
            state.admit_waiting(self.loop.time())  # its slot is free
        state.waiting.pop(self, None)
        self.phase = _ANSWERING  # no deadline is due any more
        self._timer.cancel()
        self._queued = []
        self._backlog = []
        cycle = self.cycle
        if cycle is not None:
            if cycle.task is not None and not cycle.task.done():
                cycle.task.cancel()  # nobody is left to read the answer
            elif cycle.body is not None:
                cycle.body.close()  # a body cut off mid-way: its memory or temporary file goes now
        self._flow.lost()
        close_lost_transport(self.transport)

    def data_received(self, data: bytes) -> None:
        if self._busy or self.phase is _WAITING:
            # Pipelining: keep the bytes for later, but stop reading if a client piles them up. Without
            # a slot yet, stop at once: what came is kept (one read), the rest waits in the kernel.
            self._backlog.append(data)
            self._pending += len(data)
            limit = self.config.max_head_size if self._busy else 0
            if self._pending > limit and not self._reading_paused:
                self._reading_paused = True
                self.transport.pause_reading()
            return
        phase = self.phase
        if phase is _IDLE:
            if self._fresh:
                self._fresh = False
                if self.state.waiting:  # now it can be judged: it may give its slot to one waiting
                    self._feed(data)
                    self.state.admit_waiting(self.loop.time())
                    return
        elif phase is _HEAD:
            self._received += len(data)
        elif phase is _LINGER:
            self._drop(len(data))
            return
        self._feed(data)

    def _drop(self, size: int) -> None:
        """An error was sent: drop what still comes, but only up to SERVER_LINGER_MAX_BYTES."""
        self._received += size
        if self._received > self.config.linger_max_bytes:
            self.transport.close()

    def eof_received(self) -> bool:
        if self.phase is _LINGER:
            self.transport.close()
            return False
        if self._busy or self.phase is _WAITING:
            self._eof = True  # read once the requests before it are answered (or it has a slot)
        else:
            self._feed_eof()
        # Keep our half open: a response may still be on its way (half-close). TLS has no half-close
        # (the transport closes either way, and asyncio logs a warning when asked to keep it open).
        return self.state.scheme == "http"

    def pause_writing(self) -> None:
        self._flow.pause()

    def resume_writing(self) -> None:
        self._flow.resume()

    # -- graceful shutdown and a full server ---------------------------------------------------------
    def shutdown(self) -> None:
        """Close now if idle; otherwise let the request in flight finish and close after its response."""
        self._closing = True
        if not self._busy and self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    @property
    def unread(self) -> bool:
        """True until its first byte is read: whether it gives way cannot be told yet (``wait_for_room``)."""
        return self._fresh

    def admit(self) -> None:
        """A slot came free while it waited: take it, and read what came meanwhile."""
        self._hold_slot()
        if self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()
        self._take_up_backlog()

    def _stop_waiting(self, now: float) -> None:
        """NEW_CONNECTION_GRACE passed: the holders it waited for can all be judged now; a slot, or 503."""
        state = self.state
        state.waiting.pop(self, None)
        if state.has_room(now):
            self.admit()
        else:
            self._refuse(503, _FULL)

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
            transport.write(render_error(503, "The server is full; try again.", self.state.date.current()))
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
    def _feed(self, data: bytes) -> None:
        try:
            events = self.parser.feed(data)
        except HttpError as exc:
            self._refuse(exc.status_code, exc.message)
            return
        self._handle(events)

    def _feed_eof(self) -> None:
        try:
            events = self.parser.feed_eof()
        except HttpError as exc:
            self._refuse(exc.status_code, exc.message)
            return
        self._handle(events)

    def _handle(self, events: list[Event]) -> None:
        """Act on parser events until a request is dispatched (the rest then waits in ``_queued``)."""
        for index, event in enumerate(events):
            if type(event) is bytes:
                if not self._on_body(event):
                    return
            elif event is END:
                self._dispatch()
                if self._busy:
                    self._queued = events[index + 1 :]
                    return
            elif event is CLOSED:
                self.transport.close()
                return
            elif not self._on_request(event):  # type: ignore[arg-type]  # a RequestHead
                return
        if self.phase is _BODY:
            self._arm_at(_BODY, self._pace.deadline())  # type: ignore[union-attr]  # more body due
        elif self.phase is _IDLE and self.parser.in_message:
            self._head_started = self.loop.time()  # part of a head came: the rest is due
            self._arm(_HEAD, self.config.head_timeout)

    def _on_request(self, head: RequestHead) -> bool:
        try:
            keep_alive, has_body, expects_continue = check_request(head, self.config)
        except HttpError as exc:
            self._refuse(exc.status_code, exc.message)
            return False
        self.cycle = RequestCycle(head, keep_alive, has_body)
        if has_body:
            config = self.config
            self.phase = _BODY
            self._pace = BodyPace(
                self.loop.time(),
                stall=config.head_timeout,
                min_rate=config.body_min_rate,
                grace=config.body_rate_grace,
            )
        if expects_continue:
            self.transport.write(_CONTINUE)  # RFC 9110 §10.1.1: the limits passed, so invite the body
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
        head = cycle.head
        try:
            path, query, authority = split_target(head.target)
        except ValueError:
            self._refuse(400, "Malformed request target.")
            return
        self.phase = _ANSWERING  # no deadline while the request is answered
        self._pace = None
        headers = Headers.from_raw(head.headers)
        if authority is not None:
            headers["host"] = authority  # RFC 9112 §3.2.2: an absolute-form target's authority wins
        body = cycle.body
        cycle.body = None
        cycle.request = Request(
            head.method.decode("ascii"),
            path,
            query_string=query,
            headers=headers,
            body=b"" if body is None else body.finished(),
            client=self.client,
            server=self.server,
            scheme=self.state.scheme,
            http_version=head.http_version.decode("ascii"),
        )
        apply_forwarded(cycle.request)  # TRUSTED_PROXIES: the client, scheme and host nginx saw
        self._busy = True
        if self.config.access_log and AccessLog.enabled():
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
            await send_response(
                self.transport,
                self._flow,
                response,
                cycle.sent,
                http11=cycle.head.http_version == b"1.1",
                head_only=cycle.head.method == b"HEAD",
                keep_alive=cycle.keep_alive and not self._closing,
                date=self.state.date.block(),
            )
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

    def _cycle_done(self, cycle: RequestCycle) -> None:
        self.cycle = None
        self._busy = False
        transport = self.transport
        if self._closing or not cycle.sent.keep_alive or transport.is_closing():
            transport.close()  # Connection: close, HTTP/1.0, a body delimited by close, or shutdown
            return
        self._arm(_IDLE, self.config.keepalive_timeout)
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        # What came while this request was answered, in order: events already parsed, bytes held
        # behind an upgrade request that did not switch, then bytes not parsed yet.
        queued, self._queued = self._queued, []
        self._handle(queued)
        if not self._busy and self.phase is not _LINGER and self.parser.held:
            try:
                self._handle(self.parser.resume())
            except HttpError as exc:
                self._refuse(exc.status_code, exc.message)
        self._take_up_backlog()

    def _take_up_backlog(self) -> None:
        """Parse the bytes (and end of input) that came while busy or waiting, until busy again."""
        transport = self.transport
        while self._backlog and not self._busy and self.phase is not _LINGER and not transport.is_closing():
            data = self._backlog.pop(0)
            self._pending -= len(data)
            self.data_received(data)
        if self._eof and not self._busy and self.phase is not _LINGER:
            self._eof = False
            self._feed_eof()

    def _upgrade(self, response: UpgradeResponse) -> None:
        """Hand the transport to the protocol the upgrade built (a WebSocket), with the bytes that followed."""
        transport = self.transport
        self.phase = _ANSWERING  # the WebSocket has deadlines of its own
        self._timer.cancel()
        self.cycle = None
        self._busy = False
        if transport.is_closing():
            return
        protocol = response.upgrade.make_protocol()
        following = self.parser.held + b"".join(self._backlog)
        self._backlog = []
        self.state.upgrade(transport, protocol)
        transport.set_protocol(protocol)  # type: ignore[arg-type]  # an UpgradedProtocol is an asyncio protocol
        protocol.connection_made(transport)
        if following:
            protocol.data_received(following)
        if self._eof:
            protocol.eof_received()
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()

    # -- errors ----------------------------------------------------------------------------------
    def _fail(self, cycle: RequestCycle) -> None:
        """A crash while answering: 500 if nothing was sent yet, otherwise the connection is cut."""
        if cycle.sent.started:
            self.transport.close()
        else:
            self._refuse(500, "The server failed to produce a response.")

    def _refuse(self, status: int, message: str) -> None:
        """Send a short error response with ``Connection: close`` and close (after a lingering read)."""
        transport = self.transport
        self._busy = False
        if transport.is_closing() or self.phase is _LINGER:
            return  # closed, or an error response was sent already
        transport.write(render_error(status, message[:200], self.state.date.current()))
        cycle = self.cycle
        if cycle is not None and cycle.body is not None:
            cycle.body.close()  # a refused body's memory or temporary file goes now
        self._queued = []
        self._backlog = []
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
        """Enter ``phase`` with its deadline (the one lazy timer fires at it, or sooner and re-arms)."""
        self.phase = phase
        self._deadline = deadline
        self._timer.at(deadline)

    def _on_timer(self) -> None:
        phase = self.phase
        if phase is _ANSWERING or self.transport.is_closing():
            return
        now = self.loop.time()
        if now < self._deadline:  # the deadline moved later since this timer was set
            self._arm_at(phase, self._deadline)
            return
        if phase is _WAITING:
            self._stop_waiting(now)
        elif phase is _HEAD:
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
        self.state.access_log.add(
            f"{request.client[0]}:{request.client[1]}" if request.client else "-",  # behind a proxy: the real one
            request.method,
            request.get_full_path(),
            request.http_version,
            cycle.sent.status,
            cycle.sent.bytes,
            (self.loop.time() - cycle.start) * 1000,
        )


def _address(address: Any) -> tuple[str, int] | None:
    if isinstance(address, tuple) and len(address) >= 2:
        return (str(address[0]), int(address[1]))
    return None
