"""HttpProtocol without sockets: raw bytes in through a fake transport, exact bytes out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse, StreamingResponse, UpgradeResponse
from duck.server import config as server_config
from duck.server.config import DateHeader
from tests.server.helpers import DATE, Echo, FuncHandler, open_protocol, parse, request, settle

GET = b"GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n"
HELLO = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 20\r\n"
    b"date: " + DATE + b"\r\n"
    b"server: duck\r\n"
    b"\r\n"
    b"GET /hello q= body=0"
)


async def hello_handler(request: Request) -> HttpResponse:
    return PlainTextResponse(f"{request.method} {request.path} q={request.query_string} body={len(request.body)}")


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

    protocol, transport = open_protocol(FuncHandler(view))
    protocol.data_received(request("GET", "/one") + request("GET", "/two"))
    await asyncio.wait_for(started.wait(), 1)
    assert seen == ["/one"]
    assert protocol.busy
    release.set()
    await settle(protocol)
    assert seen == ["/one", "/two"]


async def test_request_fields_come_from_the_h11_event():
    handler = Echo()
    protocol, transport = open_protocol(handler)
    protocol.data_received(b"POST /a%20b/%C3%A9?x=%201&y=2 HTTP/1.0\r\nHost: h\r\nX-Thing: 1\r\nContent-Length: 3\r\n\r\nabc")
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
    protocol, transport = open_protocol(FuncHandler(_const(HttpResponse(b"", status=299, reason="Fine Enough"))))
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
    assert calls == [1000, 1001]


# -- bodies ----------------------------------------------------------------------------------
async def test_chunked_request_body_is_assembled():
    handler = Echo()
    protocol, transport = open_protocol(handler)
    protocol.data_received(
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
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
    assert out.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n") or out.startswith(b"HTTP/1.1 413 Content Too Large")
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

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    await settle(protocol)
    assert transport.take().endswith(b"\r\n\r\n")
    assert ran == []


async def test_no_body_for_204():
    protocol, transport = open_protocol(FuncHandler(_const(HttpResponse(b"", status=204))))
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

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(GET)
    await settle(protocol)
    out = transport.take()
    assert b"transfer-encoding: chunked\r\n" in out.lower()
    assert out.endswith(b"\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n")
    assert not transport.closed


async def test_streaming_response_to_http10_is_delimited_by_close():
    async def chunks():
        yield b"abc"

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
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

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
    protocol.pause_writing()
    protocol.data_received(GET)
    for _ in range(20):
        await asyncio.sleep(0)
    assert produced == [0]  # one chunk written, then the writer waits for resume_writing
    protocol.resume_writing()
    await settle(protocol)
    assert produced == list(range(10))
    assert transport.take().endswith(b"0\r\n\r\n")


# -- limits and refusals ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        (b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        (b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: h\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(20)) + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"v" * 600 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-Ctl: a\x01b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-Ctl: a\x7fb\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host (h11's check)
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ],
    ids=["http2", "http1.2", "url", "count", "size", "ctl", "del", "cl+te", "cl-413", "no-host", "garbage", "te-gzip"],
)
async def test_refused_requests_get_status_and_close(raw: bytes, status: int):
    handler = Echo()
    protocol, transport = open_protocol(
        handler, max_url_length=100, max_headers=10, max_head_size=512, max_body_size=100
    )
    protocol.data_received(raw)
    await settle(protocol)
    (resp,) = parse(transport.take())
    assert resp.status == status
    assert resp.reason  # a reason phrase, always
    assert resp.header(b"connection") == b"close"
    assert resp.header(b"date") == DATE
    assert transport.eof_written  # lingering close: our side is shut, theirs is drained then closed
    assert handler.requests == []


async def test_allowed_tab_in_header_value():
    handler = Echo()
    protocol, _ = open_protocol(handler)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: h\r\nX-Tab: a\tb\r\n\r\n")
    await settle(protocol)
    assert handler.requests[0].headers["x-tab"] == "a\tb"


async def test_over_long_head_arriving_in_one_read_is_refused():
    """h11 bounds only incomplete heads; a complete one larger than the limit is counted by us."""
    protocol, transport = open_protocol(Echo(), max_head_size=1024)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X-A: " + b"a" * 1100 + b"\r\n\r\n")
    assert parse(transport.take())[0].status == 431


async def test_incomplete_over_long_head_is_refused_before_it_ends():
    protocol, transport = open_protocol(Echo(), max_head_size=1024)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: h\r\n")
    for _ in range(30):
        protocol.data_received(b"X-A: " + b"a" * 60 + b"\r\n")
    assert parse(transport.take())[0].status == 431


async def test_chunked_body_over_the_limit_is_counted_and_refused():
    handler = Echo()
    protocol, transport = open_protocol(handler, max_body_size=10)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n")
    assert transport.take() == b""
    protocol.data_received(b"8\r\n12345678\r\n0\r\n\r\n")
    assert parse(transport.take())[0].status == 413
    assert handler.requests == []


async def test_bytes_after_a_refusal_are_dropped_then_connection_closes_on_eof():
    protocol, transport = open_protocol(Echo())
    protocol.data_received(b"GET / HTTP/3.0\r\nHost: h\r\n\r\n")
    transport.take()
    protocol.data_received(b"more garbage")
    assert transport.take() == b""
    assert protocol.eof_received() is False
    assert transport.closed


async def test_connection_over_the_limit_gets_503():
    protocol, transport = open_protocol(Echo(), max_connections=1)
    assert not transport.closed
    second, second_transport = open_protocol(Echo(), max_connections=1)  # its own state: not over
    assert not second_transport.eof_written
    # the same state with one connection already registered
    from duck.server.protocol import HttpProtocol
    from tests.server.helpers import FakeTransport

    third = HttpProtocol(protocol.state)
    third_transport = FakeTransport()
    third_transport.set_protocol(third)
    third.connection_made(third_transport)
    (resp,) = parse(third_transport.take())
    assert resp.status == 503
    assert third_transport not in protocol.state.connections


# -- errors in views and in the server -------------------------------------------------------
async def test_handler_exception_gives_500_and_close(caplog: pytest.LogCaptureFixture):
    async def broken(request: Request) -> HttpResponse:
        raise RuntimeError("bug")

    protocol, transport = open_protocol(FuncHandler(broken))
    with caplog.at_level(logging.ERROR, "duck.server"):
        protocol.data_received(GET)
        await settle(protocol)
    (resp,) = parse(transport.take())
    assert resp.status == 500
    assert b"bug" not in resp.body  # nothing internal reaches the client
    assert "RuntimeError: bug" in caplog.text


async def test_handler_returning_a_non_response_gives_500():
    protocol, transport = open_protocol(FuncHandler(_const(None)))
    protocol.data_received(GET)
    await settle(protocol)
    assert parse(transport.take())[0].status == 500


async def test_stream_failing_midway_closes_the_connection_without_a_second_response():
    async def chunks():
        yield b"partial"
        raise RuntimeError("stream broke")

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(GET)
    await settle(protocol)
    out = transport.take()
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"500" not in out
    assert out.endswith(b"7\r\npartial\r\n")  # no terminating chunk: the client sees a truncated body
    assert transport.closed


async def test_client_disconnect_cancels_the_handler():
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return PlainTextResponse("late")

    protocol, transport = open_protocol(FuncHandler(slow))
    protocol.data_received(GET)
    await asyncio.wait_for(started.wait(), 1)
    protocol.connection_lost(None)
    await asyncio.wait_for(cancelled.wait(), 1)
    await settle(protocol)
    assert transport.take() == b""
    assert protocol.state.connections == {}


async def test_client_disconnect_mid_stream_stops_the_stream():
    produced: list[int] = []
    closed = asyncio.Event()

    async def chunks():
        try:
            for i in range(1000):
                produced.append(i)
                yield b"x"
                await asyncio.sleep(0)
        finally:
            closed.set()

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(GET)
    for _ in range(10):
        await asyncio.sleep(0)
    transport.close()
    await asyncio.wait_for(closed.wait(), 1)
    await settle(protocol)
    assert len(produced) < 1000


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

    protocol, transport = open_protocol(FuncHandler(_const_factory(lambda: UpgradeResponse(make))))
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


# -- timers, shutdown, access log ------------------------------------------------------------
async def test_idle_keepalive_connection_is_closed_after_the_timeout():
    protocol, transport = open_protocol(FuncHandler(hello_handler), keepalive_timeout=0.05, head_timeout=5)
    protocol.data_received(GET)
    await settle(protocol)
    assert not transport.closed
    await asyncio.sleep(0.15)
    assert transport.closed
    assert transport.take().count(b"HTTP/1.1") == 1  # just the response, no error


async def test_incomplete_head_gets_408_after_head_timeout():
    protocol, transport = open_protocol(FuncHandler(hello_handler), keepalive_timeout=5, head_timeout=0.05)
    protocol.data_received(b"GET / HTTP/1.1\r\nHo")
    await asyncio.sleep(0.15)
    assert parse(transport.take())[0].status == 408
    assert transport.eof_written


async def test_head_timeout_is_not_extended_by_trickled_bytes():
    protocol, transport = open_protocol(FuncHandler(hello_handler), keepalive_timeout=5, head_timeout=0.1)
    protocol.data_received(b"GET / HTTP/1.1\r\n")
    for _ in range(6):
        await asyncio.sleep(0.03)
        if transport.eof_written:
            break
        protocol.data_received(b"X-A: b\r\n")
    assert transport.eof_written


async def test_shutdown_closes_idle_connection_at_once():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.shutdown()
    assert transport.closed


async def test_shutdown_lets_the_request_in_flight_finish_with_connection_close():
    release = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await release.wait()
        return PlainTextResponse("done")

    protocol, transport = open_protocol(FuncHandler(slow))
    protocol.data_received(GET)
    await asyncio.sleep(0)
    protocol.shutdown()
    assert not transport.closed
    release.set()
    await settle(protocol)
    (resp,) = parse(transport.take())
    assert (resp.body, resp.header(b"connection")) == (b"done", b"close")
    assert transport.closed


async def test_access_log_line(caplog: pytest.LogCaptureFixture):
    protocol, transport = open_protocol(FuncHandler(hello_handler), access_log=True)
    with caplog.at_level(logging.INFO, "duck.access"):
        protocol.data_received(b"GET /hello?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        await settle(protocol)
    (record,) = [r for r in caplog.records if r.name == "duck.access"]
    assert record.getMessage().startswith('127.0.0.1:50000 - "GET /hello?x=1 HTTP/1.1" 200 23 ')
    assert record.getMessage().endswith("ms")


async def test_access_log_off_logs_nothing(caplog: pytest.LogCaptureFixture):
    protocol, transport = open_protocol(FuncHandler(hello_handler), access_log=False)
    with caplog.at_level(logging.INFO, "duck.access"):
        protocol.data_received(GET)
        await settle(protocol)
    assert [r for r in caplog.records if r.name == "duck.access"] == []


async def test_pipelined_flood_pauses_reading_until_the_response_is_done():
    release = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await release.wait()
        return PlainTextResponse("ok")

    protocol, transport = open_protocol(FuncHandler(slow), max_head_size=1024)
    protocol.data_received(GET)
    await asyncio.sleep(0)
    protocol.data_received(GET * 40)
    assert not transport.reading
    release.set()
    await settle(protocol)
    assert transport.reading or transport.closed


def _const(response: Any):
    async def view(request: Request) -> Any:
        return response

    return view


def _const_factory(factory: Any):
    async def view(request: Request) -> Any:
        return factory()

    return view
