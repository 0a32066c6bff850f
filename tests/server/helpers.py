"""Test doubles and clients for the server tests: a fake transport, fake handlers, a bounded raw client."""

from __future__ import annotations

import asyncio
import http.client
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import h11
import pytest

from duck.conf import settings
from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse
from duck.server import Server
from duck.server.config import ServerConfig, ServerState
from duck.server.protocol import HttpProtocol

DATE = b"Sun, 06 Nov 1994 08:49:37 GMT"
TIMEOUT = 5.0  # the bound of every wait in these tests


class FixedDate:
    """Replaces the Date cache so responses are byte-for-byte predictable."""

    def __init__(self, server: bytes = b"duck") -> None:
        self.headers = [(b"date", DATE)] + ([(b"server", server)] if server else [])

    def current(self) -> list[tuple[bytes, bytes]]:
        return self.headers

    def block(self) -> bytes:
        return b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)


class FakeTransport(asyncio.Transport):
    """Records what the protocol does to its connection; no socket involved."""

    def __init__(self, peer: Any = ("127.0.0.1", 50000), local: Any = ("127.0.0.1", 8000)) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False
        self.eof_written = False
        self.reading = True
        self.high_water: int | None = None
        self.extra = {"peername": peer, "sockname": local}
        self.protocol: asyncio.BaseProtocol | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "write after close"
        assert not self.eof_written, "write after write_eof"
        self.written += data

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def take(self) -> bytes:
        data = bytes(self.written)
        self.written.clear()
        return data

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.protocol is not None:
                asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.high_water = high

    def get_write_buffer_size(self) -> int:
        return 0

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self.protocol is not None
        return self.protocol


class Echo:
    """A handler that describes the request it got."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    async def handle(self, request: Request) -> HttpResponse:
        self.requests.append(request)
        body = request.body
        text = f"{request.method} {request.path} q={request.query_string} body={len(body)}"
        return PlainTextResponse(text)


GET = b"GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n"


async def hello_handler(request: Request) -> HttpResponse:
    """Describes the request: ``GET /hello q= body=0``."""
    return PlainTextResponse(f"{request.method} {request.path} q={request.query_string} body={len(request.body)}")


def const(response: Any) -> Callable[[Request], Any]:
    """A view that always returns ``response``."""

    async def view(request: Request) -> Any:
        return response

    return view


def const_factory(factory: Callable[[], Any]) -> Callable[[Request], Any]:
    """A view that returns a new ``factory()`` each time."""

    async def view(request: Request) -> Any:
        return factory()

    return view


class FuncHandler:
    """Wraps an ``async (request) -> response`` function as a handler."""

    def __init__(self, func: Callable[[Request], Any]) -> None:
        self.func = func

    async def handle(self, request: Request) -> Any:
        return await self.func(request)


# The parser open_protocol's connections use (tests/server/conftest.py runs every test with each).
HTTP_PARSER = "httptools"


def open_protocol(handler: Any, *, server_header: bytes = b"duck", **config: Any) -> tuple[HttpProtocol, FakeTransport]:
    """An HttpProtocol connected to a FakeTransport (call from a coroutine: it needs the running loop)."""
    config.setdefault("http_parser", HTTP_PARSER)
    state = ServerState(ServerConfig(**config), handler)
    state.date = FixedDate(server_header)  # type: ignore[assignment]
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    return protocol, transport


async def settle(protocol: HttpProtocol) -> None:
    """Wait until the protocol's request tasks are done, then let callbacks scheduled by them run."""
    for _ in range(100):
        task = protocol.task
        if task is None:
            break
        await asyncio.wait({task}, timeout=TIMEOUT)
    for _ in range(3):
        await asyncio.sleep(0)


@dataclass
class Resp:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    informational: list[int] = field(default_factory=list)
    http_version: bytes = b"1.1"

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def names(self) -> list[bytes]:
        return [name for name, _ in self.headers]


class ResponseReader:
    """Parses responses with h11's client side, told which request method each one answers."""

    def __init__(self) -> None:
        self.conn = h11.Connection(h11.CLIENT)

    def feed(self, data: bytes) -> None:
        self.conn.receive_data(data)

    def next_response(self, method: str = "GET") -> Resp | None:
        """The next complete response, or None if more bytes are needed."""
        conn = self.conn
        if conn.our_state is h11.IDLE:
            conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
            conn.send(h11.EndOfMessage())
        resp: Resp | None = getattr(self, "_partial", None)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                self._partial = resp
                return None
            if isinstance(event, h11.InformationalResponse):
                self._informational = [*getattr(self, "_informational", []), event.status_code]
            elif isinstance(event, h11.Response):
                resp = Resp(event.status_code, event.reason, list(event.headers), http_version=event.http_version)
                resp.informational = getattr(self, "_informational", [])
                self._informational = []
            elif isinstance(event, h11.Data):
                assert resp is not None
                resp.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._partial = None
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                return resp
            else:
                raise AssertionError(f"unexpected event {event!r}")


def parse(data: bytes, *methods: str, eof: bool = False) -> list[Resp]:
    """All the responses in ``data`` (one per method given)."""
    reader = ResponseReader()
    reader.feed(data)
    if eof:
        reader.feed(b"")
    out = []
    for method in methods or ("GET",):
        resp = reader.next_response(method)
        assert resp is not None, f"incomplete response in {data!r}"
        out.append(resp)
    return out


class Client:
    """A raw TCP client over asyncio streams; every read is bounded by TIMEOUT."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.responses = ResponseReader()

    @classmethod
    async def connect(cls, port: int, **kwargs: Any) -> Client:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, **kwargs), TIMEOUT)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    async def response(self, method: str = "GET", timeout: float = TIMEOUT) -> Resp:
        async def read() -> Resp:
            while True:
                resp = self.responses.next_response(method)
                if resp is not None:
                    return resp
                data = await self.reader.read(65536)
                self.responses.feed(data)  # b"" tells h11 the server closed

        return await asyncio.wait_for(read(), timeout)

    async def read_raw(self, timeout: float = TIMEOUT) -> bytes:
        """Everything until the server closes."""

        async def read() -> bytes:
            chunks = []
            while chunk := await self.reader.read(65536):
                chunks.append(chunk)
            return b"".join(chunks)

        return await asyncio.wait_for(read(), timeout)

    async def is_closed_by_server(self, timeout: float = TIMEOUT) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
        except ConnectionResetError:
            return True
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), TIMEOUT)
        except (ConnectionError, OSError):
            pass


def request(method: str = "GET", target: str = "/", headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    """A raw HTTP/1.1 request; Host is added, Content-Length when there is a body."""
    fields = {"Host": "127.0.0.1", **(headers or {})}
    if body and "Transfer-Encoding" not in fields:
        fields.setdefault("Content-Length", str(len(body)))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode("latin-1") + body


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@asynccontextmanager
async def running(handler: Any, **overrides: Any) -> AsyncIterator[Server]:
    """A Server on 127.0.0.1 (ephemeral port) with settings overridden for its whole life."""
    options = {"ALLOWED_HOSTS": ["*"], "SERVER_ACCESS_LOG": False, **overrides}
    with settings.override(**options):
        server = Server(handler, sock=listening_socket())
        ready = asyncio.Event()
        task = asyncio.create_task(server.serve(ready))
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            await task  # raises the start-up error
        try:
            yield server
        finally:
            server.stop()
            await asyncio.wait_for(task, TIMEOUT + float(overrides.get("SERVER_SHUTDOWN_TIMEOUT", 0)))


class ServerProcess:
    """A Python script run as a subprocess, its combined output collected line by line (bounded waits)."""

    def __init__(self, args: list[str], cwd: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DUCK_SETTINGS_MODULE", "DUCK_RUN_MAIN")}
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], Any], timeout: float = 15.0) -> str:
        """The first new output line matching ``predicate``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for output; got:\n" + "\n".join(self.lines))
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("process exited; output:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if predicate(line):
                return line

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait (bounded), and release the pipes; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise
        finally:
            self._thread.join(5)
            assert self.proc.stdout is not None
            self.proc.stdout.close()
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return code


def http_get(port: int, target: str = "/", timeout: float = TIMEOUT) -> tuple[int, bytes]:
    """A blocking GET with a fresh connection (for subprocess servers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# Limits low enough to hit with small requests, and requests over each (or malformed): answered
# with the status and closed, whatever the transport (test_server.py, test_tls.py).
LIMITS = {
    "SERVER_MAX_URL_LENGTH": 64,
    "SERVER_MAX_HEADERS": 8,
    "SERVER_MAX_HEAD_SIZE": 2048,
    "SERVER_MAX_BODY_SIZE": 100,
}
LIMIT_CASES = [
    pytest.param(request("GET", "/" + "u" * 100), 414, id="414"),
    pytest.param(request("GET", "/", {f"X-{i}": "v" for i in range(10)}), 431, id="431-count"),
    pytest.param(request("GET", "/", {"X-Big": "b" * 3000}), 431, id="431-size"),
    pytest.param(request("POST", "/", {"Content-Length": "101"}), 413, id="413-length"),
    pytest.param(
        request("POST", "/", {"Transfer-Encoding": "chunked"}) + b"65\r\n" + b"z" * 101 + b"\r\n0\r\n\r\n",
        413,
        id="413-chunked",
    ),
    pytest.param(
        request("POST", "/", {"Content-Length": "3", "Transfer-Encoding": "chunked"}) + b"3\r\nabc\r\n0\r\n\r\n",
        400,
        id="cl+te",
    ),
    pytest.param(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505, id="505"),
    pytest.param(request("GET", "/", {"X-Ctl": "a\x0bb"}), 400, id="ctl"),
    pytest.param(b"NOT HTTP AT ALL\r\n\r\n", 400, id="garbage"),
]
