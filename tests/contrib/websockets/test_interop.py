"""Real peers on 127.0.0.1: the seeds' MyWebSocket on duck's server and under uvicorn, driven by
the ``websockets`` library's asyncio client. Every wait is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as WSConnectionClosed
from websockets.exceptions import InvalidStatus

from duck.conf import settings
from duck.core.handler import Handler

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[3]
URLCONF = "tests.contrib.websockets.asgi_app.urls"
WAIT = 5.0


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@pytest.fixture
async def duck_server():
    """duck's own server on a free port, with the interop project's routes."""
    serve = pytest.importorskip("duck.server").serve
    sock = _bound_socket()
    port = sock.getsockname()[1]
    ready = asyncio.Event()
    with settings.override(ROOT_URLCONF=URLCONF, MIDDLEWARE=[], SERVER_ACCESS_LOG=False):
        task = asyncio.create_task(serve(Handler(), sock=sock, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), WAIT)
            yield f"ws://127.0.0.1:{port}"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)


@pytest.fixture(scope="module")
def uvicorn_server():
    """A real uvicorn process serving the interop project over ASGI (the socket is handed over by fd)."""
    pytest.importorskip("uvicorn")
    sock = _bound_socket()
    port = sock.getsockname()[1]
    env = {**os.environ, "DUCK_SETTINGS_MODULE": "tests.contrib.websockets.asgi_app.settings", "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "uvicorn", "tests.contrib.websockets.asgi_app.asgi:application",
        "--fd", str(sock.fileno()), "--log-level", "info", "--ws-ping-interval", "0",
    ]  # fmt: skip
    import subprocess

    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, pass_fds=[sock.fileno()], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    sock.close()
    try:
        _wait_for_line(proc, b"Application startup complete", timeout=20)
        yield f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def _wait_for_line(proc, marker: bytes, timeout: float) -> None:
    """Read the server's log until ``marker`` (bounded by ``timeout``); fail with what it said."""
    import selectors

    seen = b""
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    try:
        deadline = _now() + timeout
        while marker not in seen:
            remaining = deadline - _now()
            if remaining <= 0 or proc.poll() is not None:
                pytest.fail(f"uvicorn did not start:\n{seen.decode(errors='replace')}")
            if selector.select(remaining):
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:
                    pytest.fail(f"uvicorn exited:\n{seen.decode(errors='replace')}")
                seen += chunk
    finally:
        selector.close()


def _now() -> float:
    import time

    return time.monotonic()


async def _echo_round_trip(base: str) -> None:
    async with connect(base + "/ws/myws", open_timeout=WAIT, close_timeout=WAIT) as ws:
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), WAIT) == "You sent hi"
        await ws.send("ünïcödé " * 1000)
        assert await asyncio.wait_for(ws.recv(), WAIT) == "You sent " + "ünïcödé " * 1000
    assert ws.close_code == 1000  # the client's close was answered with the same code


async def _handshake_details(base: str) -> None:
    async with connect(
        base + "/ws/rooms/9?q=x", subprotocols=["chat.v1", "chat.v2"], open_timeout=WAIT, close_timeout=WAIT
    ) as ws:
        assert ws.subprotocol == "chat.v2"
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT)) == {"subprotocol": "chat.v2", "room": 9, "q": "x"}
        await ws.send(b"\x00" * 1000)
        assert await asyncio.wait_for(ws.recv(), WAIT) == b"\x00" * 1000
        await ws.send(b"\x00" * 1001)  # above the route's MAX_FRAME_SIZE
        with pytest.raises(WSConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
    assert ws.close_code == 1009


async def _cross_site_refused(base: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(base + "/ws/myws", origin="https://evil.example", open_timeout=WAIT):
            pass
    assert info.value.response.status_code == 403


# -- duck's own server --------------------------------------------------------------------------
async def test_seed_example_echo_on_duck_server(duck_server):
    await _echo_round_trip(duck_server)


async def test_handshake_negotiation_and_frame_cap_on_duck_server(duck_server):
    await _handshake_details(duck_server)


async def test_cross_site_origin_refused_on_duck_server(duck_server):
    await _cross_site_refused(duck_server)


async def test_plain_http_get_gets_426_from_duck_server(duck_server):
    port = int(duck_server.rsplit(":", 1)[1])
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), WAIT)
    writer.write(b"GET /ws/myws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    response = await asyncio.wait_for(reader.read(), WAIT)
    writer.close()
    await writer.wait_closed()
    assert response.startswith(b"HTTP/1.1 426 ")
    assert b"upgrade: websocket" in response.lower()


async def test_large_messages_with_compression_on_duck_server(duck_server):
    with settings.override(WEBSOCKET_MAX_MESSAGE_SIZE=8 * 1024 * 1024):
        async with connect(duck_server + "/ws/myws", open_timeout=WAIT, close_timeout=WAIT, max_size=None) as ws:
            assert ws.protocol.extensions  # permessage-deflate negotiated
            text = "".join(chr(0x41 + i % 26) for i in range(600_000))  # above the 64 KiB write high-water
            await ws.send(text)
            assert await asyncio.wait_for(ws.recv(), WAIT) == "You sent " + text


async def test_server_shutdown_closes_websockets_with_1001():
    serve = pytest.importorskip("duck.server").serve
    sock = _bound_socket()
    port = sock.getsockname()[1]
    ready = asyncio.Event()
    with settings.override(ROOT_URLCONF=URLCONF, MIDDLEWARE=[], SERVER_ACCESS_LOG=False):
        task = asyncio.create_task(serve(Handler(), sock=sock, ready=ready))
        await asyncio.wait_for(ready.wait(), WAIT)
        async with connect(f"ws://127.0.0.1:{port}/ws/myws", open_timeout=WAIT, close_timeout=WAIT) as ws:
            await ws.send("hi")
            await asyncio.wait_for(ws.recv(), WAIT)
            task.cancel()  # graceful shutdown: protocol.shutdown() on every WebSocket
            with pytest.raises(WSConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)
        assert ws.close_code == 1001
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


# -- uvicorn (ASGI) -----------------------------------------------------------------------------
async def test_seed_example_echo_under_uvicorn(uvicorn_server):
    await _echo_round_trip(uvicorn_server)


async def test_handshake_negotiation_and_frame_cap_under_uvicorn(uvicorn_server):
    await _handshake_details(uvicorn_server)


async def test_cross_site_origin_refused_under_uvicorn(uvicorn_server):
    await _cross_site_refused(uvicorn_server)
