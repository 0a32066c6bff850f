"""HttpProtocol without sockets: what it refuses, how it survives errors, its timers and shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse, StreamingResponse
from duck.server.protocol import HttpProtocol
from tests.server.helpers import (
    DATE,
    GET,
    Echo,
    FakeTransport,
    FuncHandler,
    const,
    const_factory,
    hello_handler,
    open_protocol,
    parse,
    request,
    settle,
)


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
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host (h11's check)
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # RFC 9112 §3.2
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),  # RFC 9112 §6.1
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),  # RFC 9112 §6.3
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # RFC 9110 §4.2.4: no userinfo
    ],
    ids=[
        "http2",
        "http1.2",
        "url",
        "count",
        "size",
        "ctl",
        "del",
        "cl+te",
        "cl-413",
        "no-host",
        "two-hosts",
        "te-http1.0",
        "garbage",
        "te-gzip",
        "te-chunked-not-last",
        "te-chunked-twice",
        "te-two-chunked-fields",
        "te-gzip-then-chunked",
        "absolute-form-userinfo",
    ],
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


def second_connection(state) -> tuple[HttpProtocol, FakeTransport]:
    extra = HttpProtocol(state)  # another connection to the same server
    extra_transport = FakeTransport()
    extra_transport.set_protocol(extra)
    extra.connection_made(extra_transport)
    return extra, extra_transport


async def test_a_new_connection_keeps_its_slot_until_its_first_byte_is_due():
    protocol, transport = open_protocol(Echo(), max_connections=1)  # accepted, nothing read yet
    extra, extra_transport = second_connection(protocol.state)
    assert not transport.closed and list(protocol.state.connections) == [transport]
    # The newcomer is neither served nor refused: it waits for the holder to be read.
    assert extra_transport.take() == b"" and not extra_transport.closed
    assert list(protocol.state.waiting) == [extra]


async def test_a_connection_accepted_behind_unread_ones_gets_the_slot_of_one_that_turns_out_to_trickle():
    # Connections accepted in one burst are all made before any is read: before, the newcomer got
    # 503 while the slot holder's request (a trickled body) was already there to read.
    protocol, transport = open_protocol(Echo(), max_connections=1, body_min_rate=240)
    extra, extra_transport = second_connection(protocol.state)
    extra.data_received(GET)  # what it sends while waiting is kept for later
    assert extra_transport.take() == b"" and not extra_transport.reading  # the rest waits in the kernel
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nx")  # read: a trickle
    (evicted,) = parse(transport.take())
    assert evicted.status == 503 and transport.closed
    assert list(protocol.state.connections) == [extra_transport] and not protocol.state.waiting
    assert extra_transport.reading
    await settle(extra)
    (resp,) = parse(extra_transport.take())
    assert (resp.status, resp.body) == (200, b"GET /hello q= body=0")


async def test_a_waiting_connection_gets_the_slot_its_holder_leaves():
    protocol, transport = open_protocol(Echo(), max_connections=1)
    _extra, extra_transport = second_connection(protocol.state)
    transport.close()  # the holder's client went away without a byte
    await asyncio.sleep(0)  # its connection_lost
    assert list(protocol.state.connections) == [extra_transport] and not protocol.state.waiting


async def test_a_waiting_connection_gets_503_when_its_wait_ends_and_no_slot_can_be_freed(monkeypatch):
    monkeypatch.setattr("duck.server.protocol.NEW_CONNECTION_GRACE", 0.05)
    answer = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await answer.wait()
        return PlainTextResponse("late")

    protocol, transport = open_protocol(FuncHandler(slow), max_connections=1)
    _extra, extra_transport = second_connection(protocol.state)
    protocol.data_received(GET)  # read: a request, being answered, that keeps its slot
    assert extra_transport.take() == b""
    await asyncio.sleep(0.15)  # the wait's deadline passing is what is tested
    (resp,) = parse(extra_transport.take())
    assert (resp.status, resp.header(b"connection")) == (503, b"close")
    assert list(protocol.state.connections) == [transport] and not protocol.state.waiting
    answer.set()
    await settle(protocol)


async def test_connection_over_the_limit_gets_503_when_no_slot_can_be_freed():
    answer = asyncio.Event()

    async def slow(request: Request) -> HttpResponse:
        await answer.wait()
        return PlainTextResponse("late")

    protocol, transport = open_protocol(FuncHandler(slow), max_connections=1)
    protocol.data_received(GET)  # being answered: never evicted
    _extra, extra_transport = second_connection(protocol.state)
    (resp,) = parse(extra_transport.take())
    assert (resp.status, resp.header(b"connection")) == (503, b"close")
    assert list(protocol.state.connections) == [transport]
    answer.set()
    await settle(protocol)


async def test_an_idle_keepalive_connection_gives_its_slot_to_a_new_one():
    protocol, transport = open_protocol(Echo(), max_connections=1)
    protocol.data_received(GET)
    await settle(protocol)
    assert parse(transport.take())[0].status == 200  # now idle, between two requests
    _extra, extra_transport = second_connection(protocol.state)
    assert extra_transport.take() == b"" and not extra_transport.closed
    assert transport.closed and transport.take() == b""  # closed quietly, as a keep-alive timeout would
    assert list(protocol.state.connections) == [extra_transport]


async def test_a_trickled_body_gives_its_slot_to_a_new_connection():
    protocol, transport = open_protocol(Echo(), max_connections=1, body_min_rate=240)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nx")
    await asyncio.sleep(0.05)  # one byte in 50 ms: 20 bytes/s, far below 240
    _extra, extra_transport = second_connection(protocol.state)
    (resp,) = parse(transport.take())
    assert resp.status == 503 and transport.closed
    assert not extra_transport.closed and list(protocol.state.connections) == [extra_transport]


async def test_a_body_arriving_at_a_fair_pace_keeps_its_slot():
    protocol, transport = open_protocol(Echo(), max_connections=1, body_min_rate=240)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + b"x" * 50_000)
    _extra, extra_transport = second_connection(protocol.state)
    (resp,) = parse(extra_transport.take())
    assert resp.status == 503
    assert not transport.closed and list(protocol.state.connections) == [transport]


async def test_a_lost_transport_is_closed_where_asyncio_leaves_it_open(monkeypatch):
    # Python 3.10's TLS transport is not marked closed when its connection is lost: unless the
    # protocol closes it, it warns that it was never closed (ResourceWarning) once collected.
    monkeypatch.setattr("duck.utils.flow._LOST_TLS_STAYS_OPEN", True)
    protocol, transport = open_protocol(Echo())
    transport.set_protocol(None)  # the connection is gone: closing it now calls nothing back
    protocol.connection_lost(ConnectionResetError())
    assert transport.closed


async def test_an_upgraded_connection_leaves_the_registry_when_it_ends():
    protocol, transport = open_protocol(Echo(), max_connections=1)

    class Upgraded:
        on_released = None

    upgraded = Upgraded()
    protocol.state.upgrade(transport, upgraded)  # as after an upgrade
    assert protocol.state.connections[transport] is upgraded
    upgraded.on_released()  # what the WebSocket protocol calls from connection_lost
    assert protocol.state.connections == {}


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
    protocol, transport = open_protocol(FuncHandler(const(None)))
    protocol.data_received(GET)
    await settle(protocol)
    assert parse(transport.take())[0].status == 500


async def test_stream_failing_midway_closes_the_connection_without_a_second_response():
    async def chunks():
        yield b"partial"
        raise RuntimeError("stream broke")

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
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

    protocol, transport = open_protocol(FuncHandler(const_factory(lambda: StreamingResponse(chunks()))))
    protocol.data_received(GET)
    for _ in range(10):
        await asyncio.sleep(0)
    transport.close()
    await asyncio.wait_for(closed.wait(), 1)
    await settle(protocol)
    assert len(produced) < 1000


async def test_response_header_with_crlf_gives_500_not_a_split_response():
    response = PlainTextResponse("x")
    response.headers["x-evil"] = "a\r\nset-cookie: stolen=1"
    protocol, transport = open_protocol(FuncHandler(const(response)))
    protocol.data_received(GET)
    await settle(protocol)
    out = transport.take()
    assert out.startswith(b"HTTP/1.1 500 ")
    assert b"stolen" not in out


async def test_wrong_content_length_from_the_app_gives_500():
    response = PlainTextResponse("four")
    response.headers["content-length"] = "10"
    protocol, transport = open_protocol(FuncHandler(const(response)))
    protocol.data_received(GET)
    await settle(protocol)
    assert parse(transport.take())[0].status == 500


async def test_stream_shorter_than_its_content_length_cuts_the_connection():
    async def chunks():
        yield b"abc"

    def make() -> HttpResponse:
        response = StreamingResponse(chunks())
        response.headers["content-length"] = "10"
        return response

    protocol, transport = open_protocol(FuncHandler(const_factory(make)))
    protocol.data_received(GET)
    await settle(protocol)
    assert transport.take().endswith(b"\r\n\r\nabc")
    assert transport.closed  # the client sees a short body, never a next response glued to it


async def test_half_closed_client_still_gets_its_answer_then_the_connection_closes():
    protocol, transport = open_protocol(FuncHandler(hello_handler))
    protocol.data_received(GET)
    assert protocol.eof_received() is True  # keep our half open for the response
    await settle(protocol)
    assert parse(transport.take())[0].status == 200
    assert transport.closed


async def test_stalled_request_body_gets_408():
    handler = Echo()
    protocol, transport = open_protocol(handler, head_timeout=0.1, keepalive_timeout=5)
    protocol.data_received(request("POST", "/", {"Content-Length": "100"}))
    for _ in range(4):  # progress pushes the deadline back
        await asyncio.sleep(0.05)
        protocol.data_received(b"x" * 10)
    assert transport.take() == b""
    await asyncio.sleep(0.25)
    assert parse(transport.take())[0].status == 408
    assert handler.requests == []


async def test_trickled_request_body_gets_408_once_below_the_minimum_rate():
    """One byte every 20 ms re-arms a stall timer forever; the average rate cuts it after the grace period."""
    handler = Echo()
    protocol, transport = open_protocol(
        handler, head_timeout=5, keepalive_timeout=5, body_min_rate=240, body_rate_grace=0.2
    )
    protocol.data_received(request("POST", "/", {"Content-Length": "1000"}))
    for _ in range(30):
        await asyncio.sleep(0.02)
        if transport.eof_written:
            break
        protocol.data_received(b"x")  # 50 bytes/s
    (resp,) = parse(transport.take())
    assert resp.status == 408 and b"240 bytes per second" in resp.body
    assert handler.requests == []


async def test_body_at_a_fair_pace_is_not_cut_by_the_rate_rule():
    handler = Echo()
    protocol, transport = open_protocol(handler, head_timeout=5, body_min_rate=240, body_rate_grace=0.05)
    protocol.data_received(request("POST", "/", {"Content-Length": "120"}))
    for _ in range(6):
        await asyncio.sleep(0.02)
        protocol.data_received(b"x" * 20)  # 1000 bytes/s
    await settle(protocol)
    assert parse(transport.take())[0].status == 200
    assert len(handler.requests[0].body) == 120


async def test_lingering_after_an_error_stops_at_the_byte_cap():
    protocol, transport = open_protocol(Echo(), max_body_size=10, linger_max_bytes=1000, linger_timeout=30)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n")
    assert parse(transport.take())[0].status == 413
    protocol.data_received(b"x" * 600)
    assert not transport.closed  # still reading, so the client gets the 413 rather than a reset
    protocol.data_received(b"x" * 600)
    assert transport.closed  # 1200 bytes dropped: enough


async def test_absolute_form_target_authority_wins_over_host():
    handler = Echo()
    protocol, _transport = open_protocol(handler)
    protocol.data_received(b"GET http://other.example:8080/p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    await settle(protocol)
    (req,) = handler.requests
    assert (req.path, req.query_string, req.headers["host"]) == ("/p", "q=1", "other.example:8080")
    assert req.headers.getlist("host") == ["other.example:8080"]


async def test_a_large_body_waits_on_disk_not_in_memory():
    from duck.http.body import SpooledBody

    seen = []

    async def view(request: Request) -> HttpResponse:
        body = request._body
        seen.append((isinstance(body, SpooledBody) and not body.in_memory, len(body), request.body[-3:]))
        return PlainTextResponse("ok")

    protocol, transport = open_protocol(FuncHandler(view), body_memory_limit=1000, max_body_size=10_000)
    protocol.data_received(request("POST", "/", {"Content-Length": "5000"}))
    for _ in range(5):
        protocol.data_received(b"y" * 1000)
    await settle(protocol)
    assert parse(transport.take())[0].status == 200
    assert seen == [(True, 5000, b"yyy")]


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
    protocol, _transport = open_protocol(FuncHandler(hello_handler), access_log=True)
    with caplog.at_level(logging.INFO, "duck.access"):
        protocol.data_received(b"GET /hello?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        await settle(protocol)
        assert [r for r in caplog.records if r.name == "duck.access"] == []  # batched: written a moment later
        protocol.state.access_log.flush()
    (record,) = [r for r in caplog.records if r.name == "duck.access"]
    assert record.getMessage().startswith('127.0.0.1:50000 - "GET /hello?x=1 HTTP/1.1" 200 23 ')
    assert record.getMessage().endswith("ms")


async def test_access_log_lines_are_written_within_a_moment(caplog: pytest.LogCaptureFixture):
    protocol, _transport = open_protocol(FuncHandler(hello_handler), access_log=True)
    with caplog.at_level(logging.INFO, "duck.access"):
        protocol.data_received(GET)
        await settle(protocol)
        await asyncio.sleep(0.1)  # the batch delay (50 ms) passing is what is tested: no event to await
    assert len([r for r in caplog.records if r.name == "duck.access"]) == 1


async def test_access_log_off_logs_nothing(caplog: pytest.LogCaptureFixture):
    protocol, _transport = open_protocol(FuncHandler(hello_handler), access_log=False)
    with caplog.at_level(logging.INFO, "duck.access"):
        protocol.data_received(GET)
        await settle(protocol)
        protocol.state.access_log.flush()
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
