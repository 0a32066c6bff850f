"""The server over real sockets on 127.0.0.1: keep-alive, pipelining, limits, backpressure, shutdown."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from duck.core.handler import Handler
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse, StreamingResponse, UpgradeResponse
from duck.server import Server, ServerError, serve
from duck.urls import path
from tests.server.helpers import (
    LIMIT_CASES,
    LIMITS,
    TIMEOUT,
    Client,
    Echo,
    FuncHandler,
    hello_handler,
    listening_socket,
    request,
    running,
)
from tests.upgrades import StubUpgrade


def port_of(server: Server) -> int:
    return server.address[1]


# -- the real dispatcher -----------------------------------------------------------------------
async def hello(request: Request) -> HttpResponse:
    return PlainTextResponse("Hello, world!")


def sync_json(request: Request) -> HttpResponse:
    return JsonResponse({"message": "Hello, world!"})


def boom(request: Request) -> HttpResponse:
    raise ValueError("internal detail")


URLS = [path("/plaintext", hello), path("/json", sync_json), path("/boom", boom)]


async def test_real_handler_serves_views_and_a_raising_view_gives_500_then_keeps_serving():
    async with running(Handler(middleware=[]), ROOT_URLCONF=URLS, DEBUG=False) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("GET", "/plaintext"))
            resp = await client.response()
            assert (resp.status, resp.body) == (200, b"Hello, world!")
            assert resp.header(b"server") == b"duck" and resp.header(b"date")
            await client.send(request("GET", "/boom"))
            resp = await client.response()
            assert resp.status == 500
            assert b"internal detail" not in resp.body
            await client.send(request("GET", "/json"))
            resp = await client.response()
            assert (resp.status, resp.body) == (200, b'{"message":"Hello, world!"}')
            await client.send(request("GET", "/nowhere"))
            assert (await client.response()).status == 404
        finally:
            await client.close()


async def test_absolute_form_authority_is_checked_against_allowed_hosts():
    """RFC 9112 §3.2.2: the target's authority wins over Host, so it is the one ALLOWED_HOSTS judges."""
    settings = {"ROOT_URLCONF": URLS, "DEBUG": False, "ALLOWED_HOSTS": ["good.example"]}
    async with running(Handler(middleware=[]), **settings) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(b"GET http://evil.example/plaintext HTTP/1.1\r\nHost: good.example\r\n\r\n")
            assert (await client.response()).status == 400
            await client.send(b"GET http://good.example/plaintext HTTP/1.1\r\nHost: evil.example\r\n\r\n")
            assert (await client.response()).status == 200
        finally:
            await client.close()


# -- keep-alive, pipelining, bodies ------------------------------------------------------------
async def test_keep_alive_serves_several_requests_on_one_connection():
    async with running(Echo()) as server:
        client = await Client.connect(port_of(server))
        try:
            for i in range(5):
                await client.send(request("GET", f"/n{i}"))
                assert (await client.response()).body == f"GET /n{i} q= body=0".encode()
        finally:
            await client.close()


async def test_pipelined_requests_answered_in_order_even_when_the_first_is_slowest():
    async def view(request: Request) -> HttpResponse:
        if request.path == "/1":
            await asyncio.sleep(0.2)
        return PlainTextResponse(request.path)

    async with running(FuncHandler(view)) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("GET", "/1") + request("GET", "/2") + request("GET", "/3"))
            bodies = [(await client.response()).body for _ in range(3)]
            assert bodies == [b"/1", b"/2", b"/3"]
        finally:
            await client.close()


async def test_chunked_request_body():
    async with running(Echo()) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(
                request("POST", "/c", {"Transfer-Encoding": "chunked"})
                + b"3\r\nabc\r\n"
                + b"a\r\n0123456789\r\n0\r\n\r\n"
            )
            assert (await client.response("POST")).body == b"POST /c q= body=13"
        finally:
            await client.close()


async def test_expect_100_continue_then_body():
    async with running(Echo()) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("POST", "/e", {"Expect": "100-continue", "Content-Length": "5"}))
            interim = await asyncio.wait_for(client.reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            await client.send(b"hello")
            assert (await client.response("POST")).body == b"POST /e q= body=5"
        finally:
            await client.close()


async def test_head_has_headers_and_content_length_but_no_body():
    async with running(Echo()) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("HEAD", "/h") + request("GET", "/after"))
            head = await client.response("HEAD")
            assert (head.status, head.body, head.header(b"content-length")) == (200, b"", b"17")
            assert (await client.response()).body == b"GET /after q= body=0"  # no stray body bytes between
        finally:
            await client.close()


# -- streaming and backpressure ----------------------------------------------------------------
async def test_streaming_to_a_slow_reader_pauses_the_generator():
    chunk = b"x" * 65536
    total = 2000  # 128 MiB: far more than socket buffers can absorb
    produced = [0]

    async def stream(request: Request) -> HttpResponse:
        async def chunks():
            for _ in range(total):
                produced[0] += 1
                yield chunk

        return StreamingResponse(chunks(), content_type="application/octet-stream")

    async with running(FuncHandler(stream), SERVER_WRITE_HIGH_WATER=16384) as server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, server.address), TIMEOUT)
        reader, writer = await asyncio.open_connection(sock=sock)
        client = Client(reader, writer)
        try:
            await client.send(request("GET", "/stream"))
            # Wait until the producer stops advancing: it is parked on the drain waiter.
            previous = -1
            for _ in range(100):
                await asyncio.sleep(0.05)
                if produced[0] == previous:
                    break
                previous = produced[0]
            assert produced[0] < total // 4, produced[0]
            await asyncio.sleep(0.2)
            assert produced[0] == previous  # still parked: nothing buffered beyond the limits
            # Now read everything: the stream completes.
            received = 0
            deadline = time.monotonic() + 30
            while received < total * len(chunk) and time.monotonic() < deadline:
                data = await asyncio.wait_for(reader.read(1 << 20), TIMEOUT)
                assert data
                received += len(data)
            assert produced[0] == total
        finally:
            await client.close()


async def test_client_leaving_mid_stream_stops_it_and_server_keeps_serving():
    finished: list[int] = []

    async def ticks(request: Request) -> HttpResponse:
        if request.path != "/ticks":
            return PlainTextResponse("still here")

        async def produce():
            sent = 0
            try:
                while True:
                    sent += 1
                    yield b"tick\n"
                    await asyncio.sleep(0.001)
            finally:
                finished.append(sent)

        return StreamingResponse(produce())

    async with running(FuncHandler(ticks)) as server:
        client = await Client.connect(port_of(server))
        await client.send(request("GET", "/ticks"))
        await asyncio.wait_for(client.reader.readuntil(b"tick\n"), TIMEOUT)
        client.writer.transport.abort()
        for _ in range(100):
            if finished:
                break
            await asyncio.sleep(0.02)
        assert finished, "the stream kept running after the client left"
        other = await Client.connect(port_of(server))
        try:
            await other.send(request("GET", "/ok"))
            assert (await other.response()).body == b"still here"
        finally:
            await other.close()
        await client.close()


# -- limits --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "status"), LIMIT_CASES)
async def test_limits_and_malformed_requests(raw: bytes, status: int):
    handler = Echo()
    async with running(handler, **LIMITS) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(raw)
            resp = await client.response()
            assert resp.status == status
            assert resp.header(b"connection") == b"close"
            assert await client.is_closed_by_server()
        finally:
            await client.close()
    assert handler.requests == []


async def test_slowloris_head_is_cut_off_after_head_timeout():
    async with running(Echo(), SERVER_HEAD_TIMEOUT=0.3, SERVER_KEEPALIVE_TIMEOUT=5) as server:
        client = await Client.connect(port_of(server))
        try:
            started = time.monotonic()
            await client.send(b"GET / HTTP/1.1\r\n")

            async def drip() -> None:  # one header line every 50 ms, never finishing the head
                for i in range(40):
                    client.writer.write(b"X-%d: v\r\n" % i)
                    await asyncio.sleep(0.05)

            dripping = asyncio.create_task(drip())
            try:
                data = await client.read_raw()
            finally:
                dripping.cancel()
            assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert time.monotonic() - started < 1.5
        finally:
            await client.close()


async def test_idle_keepalive_connection_is_closed():
    async with running(Echo(), SERVER_KEEPALIVE_TIMEOUT=0.2) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("GET", "/"))
            await client.response()
            started = time.monotonic()
            assert await client.is_closed_by_server(timeout=2)
            assert time.monotonic() - started < 1.0
        finally:
            await client.close()


async def test_connection_beyond_max_connections_gets_503_while_every_slot_is_answering():
    answer = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await answer.wait()
        return PlainTextResponse("done")

    async with running(FuncHandler(slow), SERVER_MAX_CONNECTIONS=2) as server:
        first = await Client.connect(port_of(server))
        second = await Client.connect(port_of(server))
        try:
            await first.send(request("GET", "/1"))
            await second.send(request("GET", "/2"))
            while len(server.state.in_flight()) < 2:  # both requests are being answered
                await asyncio.sleep(0.01)
            third = await Client.connect(port_of(server))
            try:
                data = await third.read_raw()
            finally:
                await third.close()
            assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            answer.set()
            assert (await first.response()).status == 200
            assert (await second.response()).status == 200
        finally:
            answer.set()
            for client in (first, second):
                await client.close()


def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


async def test_a_burst_over_the_limit_is_judged_once_read_not_refused_before():
    # Blocking connects from the loop's own thread: all three wait in the listen queue, so the
    # server accepts them in one burst and makes all three before it reads any. Before, the
    # request behind the two trickles got 503, judged on bytes the server had not read yet.
    async with running(FuncHandler(hello_handler), SERVER_MAX_CONNECTIONS=2) as server:
        address = ("127.0.0.1", port_of(server))
        trickles = [socket.create_connection(address, timeout=TIMEOUT) for _ in range(2)]
        normal = socket.create_connection(address, timeout=TIMEOUT)
        try:
            for sock in trickles:
                sock.sendall(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nx")
            normal.sendall(b"GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            answer = await asyncio.to_thread(_read_until_closed, normal)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            evicted = await asyncio.to_thread(_read_until_closed, trickles[0])  # the slowest, the oldest first
            assert evicted.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        finally:
            for sock in (*trickles, normal):
                sock.close()


async def test_graceful_shutdown_closes_connections_waiting_for_a_slot():
    async with running(FuncHandler(hello_handler), SERVER_MAX_CONNECTIONS=1) as server:
        address = ("127.0.0.1", port_of(server))
        holder = socket.create_connection(address, timeout=TIMEOUT)  # sends nothing: kept for a second
        waiting = socket.create_connection(address, timeout=TIMEOUT)
        while not server.state.waiting:
            await asyncio.sleep(0.01)
    try:
        assert await asyncio.to_thread(_read_until_closed, waiting) == b""  # closed, neither served nor refused
    finally:
        holder.close()
        waiting.close()


# -- upgrade seam over a socket ---------------------------------------------------------------
class EchoProtocol(asyncio.Protocol):
    instances: list[EchoProtocol] = []

    def __init__(self) -> None:
        self.transport: Any = None
        EchoProtocol.instances.append(self)

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"UPGRADED\n")

    def data_received(self, data: bytes) -> None:
        self.transport.write(data.upper())

    def shutdown(self) -> None:
        self.transport.write(b"BYE\n")
        self.transport.close()


async def test_upgrade_switches_protocol_and_shutdown_reaches_it():
    async def view(request: Request) -> HttpResponse:
        return UpgradeResponse(StubUpgrade(EchoProtocol))

    EchoProtocol.instances.clear()
    async with running(FuncHandler(view)) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nfirst")
            assert await asyncio.wait_for(client.reader.readexactly(14), TIMEOUT) == b"UPGRADED\nFIRST"
            await client.send(b"again")
            assert await asyncio.wait_for(client.reader.readexactly(5), TIMEOUT) == b"AGAIN"
            assert list(server.state.connections.values()) == EchoProtocol.instances
            server.stop()
            assert await client.read_raw() == b"BYE\n"
        finally:
            await client.close()


# -- lifecycle ---------------------------------------------------------------------------------
async def test_graceful_shutdown_finishes_the_request_in_flight():
    started = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        started.set()
        await asyncio.sleep(0.3)
        return PlainTextResponse("finished")

    calls: list[str] = []

    async with running(FuncHandler(slow), SERVER_SHUTDOWN_TIMEOUT=5) as server:

        async def on_shutdown() -> None:
            calls.append("shutdown")

        server.on_shutdown.append(on_shutdown)
        port = port_of(server)
        busy = await Client.connect(port)
        idle = await Client.connect(port)
        try:
            await busy.send(request("GET", "/slow"))
            await asyncio.wait_for(started.wait(), TIMEOUT)
            server.stop()
            resp = await busy.response()
            assert (resp.status, resp.body, resp.header(b"connection")) == (200, b"finished", b"close")
            assert await idle.is_closed_by_server()
            assert await busy.is_closed_by_server()
        finally:
            await busy.close()
            await idle.close()
    assert calls == ["shutdown"]
    with pytest.raises(OSError):
        await Client.connect(port)


async def test_shutdown_timeout_cuts_requests_that_take_too_long():
    cancelled = asyncio.Event()

    async def stuck(request: Request) -> HttpResponse:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return PlainTextResponse("never")

    async with running(FuncHandler(stuck), SERVER_SHUTDOWN_TIMEOUT=0.2) as server:
        client = await Client.connect(port_of(server))
        try:
            await client.send(request("GET", "/"))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            server.stop()
            assert await client.is_closed_by_server()
            assert time.monotonic() - started < 2
        finally:
            await client.close()
    assert cancelled.is_set()


async def test_startup_hooks_run_and_serve_entry_point_works():
    sock = listening_socket()
    port = sock.getsockname()[1]
    ready = asyncio.Event()
    task = asyncio.create_task(serve(Echo(), sock=sock, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        client = await Client.connect(port)
        try:
            await client.send(request("GET", "/via-serve"))
            assert (await client.response()).body == b"GET /via-serve q= body=0"
        finally:
            await client.close()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, TIMEOUT)


async def test_on_startup_hook_is_awaited_before_ready():
    server = Server(Echo(), sock=listening_socket())
    seen: list[str] = []

    async def hook() -> None:
        seen.append("startup")

    server.on_startup.append(hook)
    await server.start()
    try:
        assert seen == ["startup"]
    finally:
        await server.shutdown()


async def test_port_in_use_is_a_server_error_with_one_line_message():
    taken = listening_socket()
    try:
        server = Server(Echo(), "127.0.0.1", taken.getsockname()[1])
        with pytest.raises(ServerError, match="already in use") as info:
            await server.start()
        assert "\n" not in str(info.value)
    finally:
        taken.close()


async def test_failing_startup_hook_leaves_nothing_listening():
    sock = listening_socket()
    port = sock.getsockname()[1]
    server = Server(Echo(), sock=sock)

    async def broken() -> None:
        raise RuntimeError("cannot connect to the database")

    server.on_startup.append(broken)
    with pytest.raises(RuntimeError, match="database"):
        await server.start()
    await asyncio.sleep(0)
    with pytest.raises(OSError):
        await Client.connect(port)


async def test_shutdown_cancels_server_owned_tasks_and_logs_their_errors(caplog):
    """create_task() outside a connection belongs to the server: cancelled and awaited at shutdown."""
    from duck.utils.asyncio import create_task

    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def failing() -> None:
        raise RuntimeError("background job broke")

    from tests.server.helpers import hello_handler

    async with running(FuncHandler(hello_handler)):
        create_task(forever())
        broken = create_task(failing())
        await asyncio.wait_for(started.wait(), TIMEOUT)
        await asyncio.wait({broken}, timeout=TIMEOUT)
    assert cancelled.is_set()  # the shutdown cancelled it; nothing left running
    errors = [r for r in caplog.records if r.levelname == "ERROR" and r.name == "duck.tasks"]
    assert len(errors) == 1 and "background job broke" in errors[0].getMessage() + str(errors[0].exc_info)
