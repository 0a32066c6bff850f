"""HttpProtocol without sockets: raw bytes in through a fake transport, exact bytes out.

The exchange itself: keep-alive, pipelining, bodies, HEAD, streaming, the upgrade seam.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse, StreamingResponse, UpgradeResponse
from duck.server import config as server_config
from duck.server.config import DateHeader
from tests.server.helpers import (
    DATE,
    GET,
    Echo,
    FuncHandler,
    const,
    const_factory,
    hello_handler,
    open_protocol,
    parse,
    request,
    settle,
)
from tests.upgrades import StubUpgrade

HELLO = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 20\r\n"
    b"date: " + DATE + b"\r\n"
    b"server: duck\r\n"
    b"\r\n"
    b"GET /hello q= body=0"
)


# -- the basic exchange ----------------------------------------------------------------------
async def test_whole_request_gets_exact_response_and_connection_stays_open():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(GET)
    await settle(protocol)
    assert transport.take() == HELLO
    assert not transport.closed


async def test_request_fed_one_byte_at_a_time():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    for i in range(len(GET)):
        protocol.data_received(GET[i : i + 1])
    await settle(protocol)
    assert transport.take() == HELLO


async def test_pipelined_requests_in_one_chunk_are_answered_in_order():
    """RFC 9112 §9.3.2: responses to pipelined requests go out in the order the requests came."""
    order: list[str] = []

    async def view(request: Request) -> HttpResponse:
        if request.path == "/slow":
            await asyncio.sleep(0.05)
        order.append(request.path)
        return PlainTextResponse(request.path)

    protocol, transport = open_protocol(FuncHandler(view))
    protocol.data_received(request("GET", "/slow") + request("GET", "/fast") + request("GET", "/x")[:10])
    await settle(protocol)
    protocol.data_received(request("GET", "/x")[10:])
    await settle(protocol)
    responses = parse(transport.take(), "GET", "GET", "GET")
    assert [r.body for r in responses] == [b"/slow", b"/fast", b"/x"]
    assert order == ["/slow", "/fast", "/x"]


async def test_next_request_is_not_read_before_the_response_is_done():
    started = asyncio.Event()
    release = asyncio.Event()
    seen: list[str] = []

    async def view(request: Request) -> HttpResponse:
        seen.append(request.path)
        started.set()
        await release.wait()
        return PlainTextResponse("ok")

    protocol, _transport = open_protocol(FuncHandler(view))
    protocol.data_received(request("GET", "/one") + request("GET", "/two"))
    await asyncio.wait_for(started.wait(), 1)
    assert seen == ["/one"]
    assert protocol.busy
    release.set()
    await settle(protocol)
    assert seen == ["/one", "/two"]


async def test_request_fields_come_from_the_h11_event():
    handler = Echo()
    protocol, _transport = open_protocol(handler)
    protocol.data_received(
        b"POST /a%20b/%C3%A9?x=%201&y=2 HTTP/1.0\r\nHost: h\r\nX-Thing: 1\r\nContent-Length: 3\r\n\r\nabc"
    )
    await settle(protocol)
    (req,) = handler.requests
    assert (req.method, req.path, req.query_string) == ("POST", "/a b/é", "x=%201&y=2")
    assert req.headers["x-thing"] == "1"
    assert req.body == b"abc"
    assert req.client == ("127.0.0.1", 50000)
    assert req.server == ("127.0.0.1", 8000)
    assert (req.scheme, req.http_version) == ("http", "1.0")


async def test_absolute_form_target_is_reduced_to_path():
    handler = Echo()
    protocol, _ = open_protocol(handler)
    protocol.data_received(b"GET http://example.com/p%21?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    await settle(protocol)
    assert (handler.requests[0].path, handler.requests[0].query_string) == ("/p!", "q=1")


async def test_http10_response_closes_connection():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(b"GET /hello HTTP/1.0\r\n\r\n")
    await settle(protocol)
    assert parse(transport.take())[0].body == b"GET /hello q= body=0"
    assert transport.closed


async def test_connection_close_request_header_closes_after_response():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(request("GET", "/", {"Connection": "close"}))
    await settle(protocol)
    assert parse(transport.take())[0].status == 200
    assert transport.closed


async def test_reason_phrase_is_always_sent_even_custom():
    protocol, transport = open_protocol(FuncHandler(const(HttpResponse(b"", status=299, reason="Fine Enough"))))
    protocol.data_received(GET)
    await settle(protocol)
    assert transport.take().startswith(b"HTTP/1.1 299 Fine Enough\r\n")


async def test_empty_server_header_is_omitted():
    protocol, transport = open_protocol(FuncHandler(hello_handler), server_header=b"")
    protocol.data_received(GET)
    await settle(protocol)
    (resp,) = parse(transport.take())
    assert resp.header(b"server") is None
    assert resp.header(b"date") == DATE


async def test_date_header_is_formatted_at_most_once_per_second(monkeypatch: pytest.MonkeyPatch):
    calls: list[float] = []
    now = [1000.2]
    monkeypatch.setattr(server_config.time, "time", lambda: now[0])
    monkeypatch.setattr(server_config, "formatdate", lambda t, usegmt: calls.append(t) or f"D{t}")
    date = DateHeader(b"duck")
    first = date.current()
    now[0] = 1000.9
    assert date.current() is first
    now[0] = 1001.0
    assert date.current() == [(b"date", b"D1001"), (b"server", b"duck")]
    assert date.block() == b"date: D1001\r\nserver: duck\r\n"
    assert calls == [1000, 1001]


# -- bodies ----------------------------------------------------------------------------------
async def test_chunked_request_body_is_assembled():
    handler = Echo()
    protocol, transport = open_protocol(handler)
    protocol.data_received(
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    await settle(protocol)
    assert handler.requests[0].body == b"hello world"
    assert parse(transport.take(), "POST")[0].body == b"POST /up q= body=11"


async def test_expect_100_continue_is_answered_before_the_body_is_read():
    """RFC 9110 §10.1.1: the client waits for 100 before sending the body."""
    handler = Echo()
    protocol, transport = open_protocol(handler)
    protocol.data_received(request("POST", "/", {"Expect": "100-continue", "Content-Length": "4"}))
    assert transport.take() == b"HTTP/1.1 100 Continue\r\n\r\n"
    protocol.data_received(b"data")
    await settle(protocol)
    assert parse(transport.take(), "POST")[0].body == b"POST / q= body=4"


async def test_expect_100_continue_with_too_large_body_gets_413_not_100():
    protocol, transport = open_protocol(Echo(), max_body_size=10)
    protocol.data_received(request("POST", "/", {"Expect": "100-continue", "Content-Length": "11"}))
    out = transport.take()
    assert out.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in out


async def test_head_keeps_content_length_but_sends_no_body():
    """RFC 9110 §9.3.2."""
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(b"HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n")
    await settle(protocol)
    out = transport.take()
    assert out.endswith(b"\r\n\r\n")
    assert b"content-length: 21\r\n" in out
    assert not transport.closed


async def test_head_of_a_streaming_response_does_not_run_the_stream():
    ran: list[int] = []

    async def chunks():
        ran.append(1)
        yield b"x"

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    await settle(protocol)
    assert transport.take().endswith(b"\r\n\r\n")
    assert ran == []


async def test_no_body_for_204():
    protocol, transport = open_protocol(FuncHandler(const(HttpResponse(b"", status=204))))
    protocol.data_received(GET)
    await settle(protocol)
    (resp,) = parse(transport.take())
    assert (resp.status, resp.body, resp.header(b"content-length")) == (204, b"", None)


# -- streaming -------------------------------------------------------------------------------
async def test_streaming_response_without_length_is_chunked_for_http11():
    async def chunks():
        yield b"one,"
        yield b""
        yield "two"

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(GET)
    await settle(protocol)
    out = transport.take()
    assert b"transfer-encoding: chunked\r\n" in out.lower()
    assert out.endswith(b"\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n")
    assert not transport.closed


async def test_streaming_response_to_http10_is_delimited_by_close():
    async def chunks():
        yield b"abc"

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(b"GET / HTTP/1.0\r\n\r\n")
    await settle(protocol)
    out = transport.take()
    assert b"transfer-encoding" not in out
    assert out.endswith(b"\r\n\r\nabc")
    assert transport.closed


async def test_streaming_waits_while_the_transport_is_paused():
    produced: list[int] = []

    async def chunks():
        for i in range(10):
            produced.append(i)
            yield b"x" * 10

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
    protocol.pause_writing()
    protocol.data_received(GET)
    for _ in range(20):
        await asyncio.sleep(0)
    assert produced == [0]  # one chunk written, then the writer waits for resume_writing
    protocol.resume_writing()
    await settle(protocol)
    assert produced == list(range(10))
    assert transport.take().endswith(b"0\r\n\r\n")


# -- upgrade seam ----------------------------------------------------------------------------
class EchoProtocol(asyncio.Protocol):
    """Stands in for a WebSocket protocol: echoes bytes, records shutdown."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.shut_down = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"UPGRADED\n")

    def data_received(self, data: bytes) -> None:
        self.transport.write(b"echo:" + data)

    def shutdown(self) -> None:
        self.shut_down = True


UPGRADE = b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"


async def test_upgrade_response_hands_the_transport_and_trailing_bytes_to_the_new_protocol():
    made: list[EchoProtocol] = []

    def make() -> EchoProtocol:
        made.append(EchoProtocol())
        return made[-1]

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: UpgradeResponse(StubUpgrade(make)))))
    protocol.data_received(UPGRADE + b"early bytes")
    await settle(protocol)
    (echo,) = made
    assert transport.protocol is echo
    assert transport.take() == b"UPGRADED\necho:early bytes"  # h11 sent nothing itself
    assert protocol.state.connections[transport] is echo
    echo.data_received(b"later")
    assert transport.take() == b"echo:later"


async def test_plain_response_to_an_upgrade_request_keeps_http():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(UPGRADE)
    await settle(protocol)
    assert parse(transport.take())[0].status == 200
    protocol.data_received(GET)
    await settle(protocol)
    assert parse(transport.take())[0].body == b"GET /hello q= body=0"
