"""The access log has WebSocket connections too: open (path, client), close (code, duration), refusals.

Logged by the connection base class, so duck's server and the ASGI door (here through the test
client, which runs the upgrade through duck's ASGI application) write the same lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from duck.conf import settings
from duck.contrib.websockets import WebSocket, websocket
from duck.core.handler import Handler
from duck.test import Client, WebSocketRejected
from duck.urls import path
from tests.contrib.websockets.views import MyWebSocket

URLCONF = "tests.contrib.websockets.test_access_log"


@websocket("/ws/members-only")
async def members_only(socket: WebSocket) -> None:
    await socket.close()  # before accept(): the handshake is refused with 403


urlpatterns = [path("/ws/myws", MyWebSocket), members_only]
WAIT = 5.0
CLOSED = re.compile(r'^\S+ - "WebSocket /ws/myws\?x=1" closed (\d+) (\d+\.\d)s$')


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "duck.access"]


async def wait_for_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[str]:
    """The server logs the close once its side of the closing handshake is done: poll for it, bounded."""

    async def poll() -> list[str]:
        while len(lines := [line for line in access_lines(caplog) if "WebSocket" in line]) < count:
            await asyncio.sleep(0.01)
        return lines

    return await asyncio.wait_for(poll(), WAIT)


@pytest.fixture
async def duck_server():
    serve = pytest.importorskip("duck.server").serve
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    ready = asyncio.Event()
    with settings.override(ROOT_URLCONF=URLCONF, MIDDLEWARE=[], SERVER_ACCESS_LOG=True):
        task = asyncio.create_task(serve(Handler(), sock=sock, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), WAIT)
            yield port
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)


async def test_duck_server_logs_open_and_close_with_code_and_duration(duck_server, caplog):
    caplog.set_level(logging.INFO, logger="duck.access")
    async with connect(f"ws://127.0.0.1:{duck_server}/ws/myws?x=1", open_timeout=WAIT) as ws:
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), WAIT) == "You sent hi"
    opened, closed = await wait_for_lines(caplog, 2)
    assert re.match(r'^127\.0\.0\.1:\d+ - "WebSocket /ws/myws\?x=1" open$', opened), opened
    match = CLOSED.match(closed)
    assert match, closed
    assert match.group(1) == "1000"
    assert closed.split(" - ")[0] == opened.split(" - ")[0]  # the same client on both lines


async def test_duck_server_logs_a_refused_handshake_as_its_http_answer(duck_server, caplog):
    caplog.set_level(logging.INFO, logger="duck.access")
    with pytest.raises(InvalidStatus):
        async with connect(f"ws://127.0.0.1:{duck_server}/ws/myws", origin="http://evil.example", open_timeout=WAIT):
            pass

    async def http_line_written() -> None:  # the server writes its access lines in batches (50 ms)
        while not any('"GET /ws/myws HTTP/1.1" 403' in line for line in access_lines(caplog)):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(http_line_written(), WAIT)
    assert any(
        line.endswith(' - "GET /ws/myws HTTP/1.1" 403') or '"GET /ws/myws HTTP/1.1" 403 ' in line
        for line in access_lines(caplog)
    ), access_lines(caplog)
    assert not [line for line in access_lines(caplog) if "WebSocket" in line]


def test_asgi_door_logs_the_same_lines(caplog):
    caplog.set_level(logging.INFO, logger="duck.access")
    with settings.override(ROOT_URLCONF=URLCONF, SERVER_ACCESS_LOG=True), Client() as client:
        with client.websocket_connect("/ws/myws?x=1") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "You sent hi"
            ws.close(4000)
        with pytest.raises(WebSocketRejected), client.websocket_connect("/ws/members-only"):
            pass
    lines = [line for line in access_lines(caplog) if "WebSocket" in line]
    assert lines[0] == '127.0.0.1:50000 - "WebSocket /ws/myws?x=1" open'
    match = CLOSED.match(lines[1])
    assert match and match.group(1) == "4000", lines
    assert lines[2:] == ['127.0.0.1:50000 - "WebSocket /ws/members-only" refused']


def test_nothing_is_logged_with_the_access_log_off(caplog):
    caplog.set_level(logging.INFO, logger="duck.access")
    with settings.override(ROOT_URLCONF=URLCONF, SERVER_ACCESS_LOG=False), Client() as client:
        with client.websocket_connect("/ws/myws") as ws:
            ws.send_text("hi")
            ws.receive_text()
        with pytest.raises(WebSocketRejected), client.websocket_connect("/ws/members-only"):
            pass
    assert access_lines(caplog) == []
