"""The dwebsocket face over real sockets, on duck's server and under uvicorn (the ``base`` fixture).

Covers the issue's ``echo_once`` and ``lower_case`` snippets verbatim, the blocking and awaitable
faces of ``request.websocket``, the thread bound (503), ``WebSocketMiddleware`` with and without
``WEBSOCKET_ACCEPT_ALL``, and the HTTP refusals (400).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WSConnectionClosed
from websockets.exceptions import InvalidStatus

from tests.contrib.websockets.faces.project.views import SLOW_SECONDS
from tests.contrib.websockets.faces.servers import WAIT, http_get

pytestmark = pytest.mark.interop


def ws_connect(base: str, path: str, **kwargs):
    return connect(base + path, open_timeout=WAIT, close_timeout=WAIT, **kwargs)


async def recv(ws: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), WAIT)


async def server_close_code(ws: ClientConnection) -> int | None:
    """Wait for the server to close the connection; the code of its close frame."""
    await asyncio.wait_for(ws.wait_closed(), WAIT)
    return ws.close_code


async def event_seen(base: str, name: str) -> bool:
    status, _ = await http_get(base, f"/events/{name}")
    return status == 200


async def handshake_status(base: str, path: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with ws_connect(base, path):
            pass
    return info.value.response.status_code


# --- the snippets ------------------------------------------------------------------------------------
async def test_echo_once_echoes_one_message_then_closes_with_1000(base):
    async with ws_connect(base, "/dws/echo_once") as ws:
        await ws.send("hello")
        assert await recv(ws) == "hello"
        assert await server_close_code(ws) == 1000  # returning from the view closes the connection


async def test_echo_once_keeps_binary_frames_binary(base):
    async with ws_connect(base, "/dws/echo_once") as ws:
        await ws.send(b"\x00\xffbytes")
        assert await recv(ws) == b"\x00\xffbytes"


async def test_lower_case_over_a_websocket(base):
    async with ws_connect(base, "/dws/lower_case") as ws:
        for text in ("HeLLo", "WÖRLD", "ÜNÏCÖDÉ " * 500):
            await ws.send(text)
            assert await recv(ws) == text.lower()


async def test_lower_case_answers_plain_http_too(base):
    status, body = await http_get(base, "/dws/lower_case?message=HeLLo")
    assert (status, body) == (200, b"hello")


async def test_require_websocket_refuses_plain_http_with_400(base):
    status, body = await http_get(base, "/dws/echo_once")
    assert status == 400
    assert b"WebSocket" in body


async def test_a_malformed_handshake_gets_400(base):
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")]
    status, _ = await http_get(base, "/dws/lower_case", [*headers, ("Sec-WebSocket-Key", "not-a-valid-key")])
    assert status == 400


# --- the blocking face -------------------------------------------------------------------------------
async def test_read_returns_none_and_nothing_is_counted_before_any_message(base):
    async with ws_connect(base, "/dws/probe") as ws:
        assert json.loads(await recv(ws)) == {"read": None, "count": 0, "has": False}


async def test_wait_with_a_timeout_returns_none_and_the_connection_stays_usable(base):
    async with ws_connect(base, "/dws/probe") as ws:
        await recv(ws)
        await ws.send("wait:0.1")
        assert await recv(ws) == "timeout"
        await ws.send("wait:5")
        await ws.send("late")
        assert await recv(ws) == "got:late"


async def test_iteration_ends_and_wait_returns_none_once_the_client_closed(base):
    tag = uuid.uuid4().hex
    async with ws_connect(base, f"/dws/probe?tag={tag}") as ws:
        await recv(ws)
        await ws.send("ping")
        assert await recv(ws) == "ping"
    assert await event_seen(base, f"{tag}:iter-ended")
    assert await event_seen(base, f"{tag}:wait-none")  # then read() is None and closed is True


async def test_returning_from_the_view_closes_with_1000(base):
    async with ws_connect(base, "/dws/probe") as ws:
        await recv(ws)
        await ws.send("quit")
        assert await server_close_code(ws) == 1000


async def test_a_raising_sync_view_closes_with_1011_and_the_error_is_logged(base, caplog, request):
    with caplog.at_level(logging.ERROR, logger="duck.websockets"):
        async with ws_connect(base, "/dws/raising") as ws:
            await ws.send("go")
            assert await server_close_code(ws) == 1011
    if request.node.callspec.params["base"] == "duck":  # uvicorn logs in its own process
        assert "the sync view failed" in caplog.text


async def test_sync_views_do_not_block_other_connections(base):
    """Two views blocked in time.sleep() and an async echo at once: the echo answers meanwhile."""
    async with ws_connect(base, "/dws/slow") as slow1, ws_connect(base, "/dws/slow") as slow2:
        assert await recv(slow1) == "busy"
        assert await recv(slow2) == "busy"
        started = time.monotonic()
        async with ws_connect(base, "/dws/async_echo") as echo:
            await echo.send("still here")
            assert await recv(echo) == "still here"
        assert time.monotonic() - started < SLOW_SECONDS  # answered while both threads slept
        assert await recv(slow1) == "done"
        assert await recv(slow2) == "done"
        # Concurrent, not one after the other: both finished within one sleep (plus slack).
        assert time.monotonic() - started < SLOW_SECONDS * 1.8


# --- the awaitable face --------------------------------------------------------------------------------
async def test_an_async_view_awaits_the_same_methods(base):
    tag = uuid.uuid4().hex
    async with ws_connect(base, f"/dws/async_echo?tag={tag}") as ws:
        await ws.send("text")
        assert await recv(ws) == "text"
        await ws.send(b"\x01\x02")
        assert await recv(ws) == b"\x01\x02"
    assert await event_seen(base, f"{tag}:async-wait-none")


# --- the thread bound ------------------------------------------------------------------------------------
async def test_sync_views_beyond_websocket_sync_threads_are_refused_with_503(strict_base):
    async with ws_connect(strict_base, "/dws/probe") as first, ws_connect(strict_base, "/dws/probe") as second:
        await recv(first)
        await recv(second)
        assert await handshake_status(strict_base, "/dws/probe") == 503
        await second.send("quit")  # the view returns; its thread ends before the close frame is sent
        assert await server_close_code(second) == 1000
        async with ws_connect(strict_base, "/dws/probe") as third:  # the freed slot is reused
            assert json.loads(await recv(third))["count"] == 0


async def test_async_views_do_not_count_against_the_thread_bound(strict_base):
    async with ws_connect(strict_base, "/dws/probe") as first, ws_connect(strict_base, "/dws/probe") as second:
        await recv(first)
        await recv(second)
        async with ws_connect(strict_base, "/dws/async_echo") as echo:
            await echo.send("free")
            assert await recv(echo) == "free"


# --- WebSocketMiddleware -------------------------------------------------------------------------------
async def test_accept_all_makes_an_undecorated_view_accept_websockets(strict_base):
    async with ws_connect(strict_base, "/dws/plain") as ws:
        await ws.send("hi")
        assert await recv(ws) == "plain: hi"
    assert await http_get(strict_base, "/dws/plain") == (200, b"a plain page")


async def test_without_accept_all_an_undecorated_view_refuses_websockets_with_400(base):
    assert await handshake_status(base, "/dws/plain") == 400
    assert await http_get(base, "/dws/plain") == (200, b"a plain page")


async def test_the_accept_websocket_attribute_opts_a_view_in(base):
    async with ws_connect(base, "/dws/opted_in") as ws:
        await ws.send("hi")
        assert await recv(ws) == "opted in: hi"


async def test_websocket_views_and_routes_pass_through_the_middleware(base):
    async with ws_connect(base, "/ws/7") as ws:
        await ws.send("hi")
        assert await recv(ws) == "Message from 7: hi"


async def test_an_unknown_path_is_left_to_the_dispatcher(base):
    assert await handshake_status(base, "/no/such/route") == 404


async def test_messages_queued_before_a_server_close_are_still_delivered(base):
    async with ws_connect(base, "/dws/lower_case") as ws:
        await asyncio.gather(*(ws.send(f"M{i}") for i in range(50)))
        assert [await recv(ws) for _ in range(50)] == [f"m{i}" for i in range(50)]


async def test_the_connection_error_surfaces_as_closed_for_the_client(base):
    async with ws_connect(base, "/dws/echo_once") as ws:
        await ws.send("one")
        assert await recv(ws) == "one"
        with pytest.raises(WSConnectionClosed):
            await recv(ws)
