"""Test doubles for the WebSocket engine: a fake transport and a sans-I/O client from ``websockets``.

The client side is ``websockets.client.ClientProtocol``, so every frame the tests send is
correctly masked and every frame the server writes is parsed by an independent implementation.
Waits are event-driven (the transport signals each write) and bounded.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Iterable
from typing import Any

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from duck.contrib.websockets.protocol import WebSocketProtocol
from duck.http.datastructures import Headers
from duck.http.request import Request
from duck.http.response import HttpResponse, UpgradeResponse

WAIT = 2.0  # seconds any single wait may take before the test fails


class FakeTransport(asyncio.Transport):
    """Records writes; applies write-buffer limits only when ``buffering`` is on (a stalled reader)."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.data = bytearray()
        self.history = bytearray()  # every byte written, never consumed
        self.eof_written = False
        self.closed = False
        self.aborted = False
        self.reading = True
        self.buffering = False  # True: writes pile up in ``pending`` until drain()
        self.pending = 0
        self.high = 64 * 1024
        self.paused = False
        self.writes = 0
        self._event = asyncio.Event()
        self._lost_called = False

    # -- asyncio.Transport -------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.eof_written, "write after write_eof()"
        assert not self.closed, "write after close()"
        self.data += data
        self.history += data
        self.writes += 1
        if self.buffering:
            self.pending += len(data)
            if self.pending > self.high and not self.paused:
                self.paused = True
                self.protocol.pause_writing()
        self._event.set()

    def write_eof(self) -> None:
        self.eof_written = True
        self._event.set()

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        self._end(aborted=False)

    def abort(self) -> None:
        self._end(aborted=True)

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is not None:
            self.high = high

    def get_write_buffer_size(self) -> int:
        return self.pending

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    # -- test controls -----------------------------------------------------------------------
    def _end(self, aborted: bool) -> None:
        if self.closed:
            return
        self.closed = True
        self.aborted = aborted
        self._event.set()
        asyncio.get_running_loop().call_soon(self.lose)

    def lose(self, exc: Exception | None = None) -> None:
        """The TCP connection is gone (called once)."""
        if self._lost_called:
            return
        self._lost_called = True
        self.closed = True
        self.protocol.connection_lost(exc)
        self._event.set()

    def drain(self) -> None:
        """The stalled reader reads everything: resume writing."""
        self.pending = 0
        if self.paused:
            self.paused = False
            self.protocol.resume_writing()

    def take(self) -> bytes:
        data = bytes(self.data)
        self.data.clear()
        return data

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            self._event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("timed out waiting for the server")
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                pass


class Log(list):
    """A list of events that wakes :meth:`FakeTransport.wait_for` when something is appended."""

    def __init__(self) -> None:
        super().__init__()
        self.transports: list[FakeTransport] = []
        self._changed: asyncio.Event | None = None

    def append(self, item: Any) -> None:
        super().append(item)
        for transport in self.transports:
            transport._event.set()
        if self._changed is not None:
            self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        """Wait until ``predicate()`` holds, woken by each append."""
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed

        async def until() -> None:
            while not predicate():
                changed.clear()
                await changed.wait()

        await asyncio.wait_for(until(), timeout)


def ws_request(
    path: str = "/ws",
    *,
    host: str = "testserver",
    headers: Iterable[tuple[str, str]] = (),
    subprotocols: list[str] | None = None,
    compression: bool = False,
    method: str = "GET",
) -> tuple[Request, ClientProtocol]:
    """A duck upgrade request and the client that made it (``websockets``' handshake headers)."""
    extensions = [ClientPerMessageDeflateFactory()] if compression else None
    client = ClientProtocol(parse_uri(f"ws://{host}{path}"), extensions=extensions, subprotocols=subprotocols)
    handshake = client.connect()
    client.send_request(handshake)
    client.data_to_send()  # the request "went out"; the duck Request below stands for it
    fields = [(name.lower(), value) for name, value in handshake.headers.raw_items()]
    fields += [(name.lower(), value) for name, value in headers]
    path_only, _, query = path.partition("?")
    request = Request(method, path_only, query_string=query, headers=Headers(fields), scheme="http")
    return request, client


def plain_request(path: str = "/ws", headers: Iterable[tuple[str, str]] = (), method: str = "GET") -> Request:
    return Request(method, path, headers=Headers([("host", "testserver"), *headers]))


class Session:
    """One connection: the server protocol on a fake transport, and a sans-I/O client."""

    def __init__(self, protocol: WebSocketProtocol, transport: FakeTransport, client: ClientProtocol) -> None:
        self.protocol = protocol
        self.transport = transport
        self.client = client
        self.response: Response | None = None
        self.frames: list[Frame] = []

    # -- sending from the client -------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.protocol.data_received(data)

    def flush_client(self) -> bytes:
        data = b"".join(self.client.data_to_send())
        if data:
            self.feed(data)
        return data

    def send_text(self, text: str) -> None:
        self.client.send_text(text.encode())
        self.flush_client()

    def send_binary(self, data: bytes) -> None:
        self.client.send_binary(data)
        self.flush_client()

    def send_close(self, code: int | None = 1000, reason: str = "") -> None:
        self.client.send_close(code, reason)
        self.flush_client()

    def answer_close(self) -> None:
        """Send the close frame the client echoed when it received the server's (RFC 6455 §5.5.1)."""
        self.pump()
        assert self.client.close_sent is not None, "the client has not received a close frame"
        self.flush_client()

    def client_eof(self) -> None:
        """The client closes its side of TCP; like asyncio, close the transport unless told to keep it."""
        if not self.protocol.eof_received():
            self.transport.close()

    # -- reading what the server wrote ---------------------------------------------------------
    def pump(self) -> list[Any]:
        """Feed the server's output to the client; return the client's events."""
        data = self.transport.take()
        if data:
            self.client.receive_data(data)
        events = self.client.events_received()
        for event in events:
            if isinstance(event, Response):
                self.response = event
            else:
                self.frames.append(event)
        return events

    async def next_frame(self, *opcodes: Opcode, timeout: float = WAIT) -> Frame:
        """The next frame the server wrote (of one of ``opcodes`` if given; others are skipped)."""
        wanted = set(opcodes)

        def found() -> bool:
            self.pump()
            return any(not wanted or f.opcode in wanted for f in self.frames)

        await self.transport.wait_for(found, timeout)
        while True:
            frame = self.frames.pop(0)
            if not wanted or frame.opcode in wanted:
                return frame

    async def next_text(self) -> str:
        return (await self.next_frame(Opcode.TEXT)).data.decode()

    async def close_code(self) -> int:
        frame = await self.next_frame(Opcode.CLOSE)
        return struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else 1005


async def open_session(view: Callable[..., Any], request: Request, client: ClientProtocol, **kwargs: Any) -> Session:
    """Run the view function as the dispatcher would, switch protocols, and finish the handshake."""
    response = await view(request, **kwargs)
    assert isinstance(response, UpgradeResponse), response
    protocol = response.upgrade.make_protocol()
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    session = Session(protocol, transport, client)
    await transport.wait_for(lambda: b"\r\n\r\n" in transport.data)
    session.pump()
    assert session.response is not None and session.response.status_code == 101, session.response
    return session


async def refused(view: Callable[..., Any], request: Request) -> HttpResponse:
    response = await view(request)
    assert not isinstance(response, UpgradeResponse)
    return response


def masked_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv: int = 0,
    mask: bool = True,
    long: bool = False,
) -> bytes:
    """Build a client frame by hand, for malformed cases the client library refuses to produce.

    ``rsv``: RSV bits as they sit in the first byte (0x40, 0x20, 0x10); ``long``: the 64-bit
    length form even for a short payload.
    """
    head1 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | rsv | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if long or length >= 65536:
        header = struct.pack("!BBQ", head1, mask_bit | 127, length)
    elif length < 126:
        header = struct.pack("!BB", head1, mask_bit | length)
    else:
        header = struct.pack("!BBH", head1, mask_bit | 126, length)
    if not mask:
        return header + payload
    key = b"\x01\x02\x03\x04"
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
