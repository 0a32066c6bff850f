"""Keepalive pings against clients that never ping (browsers): they must stay open as long as they answer.

Regression: under uvloop, whose ``loop.time()`` moves in millisecond steps, a pong that came back
within the same millisecond as its ping looked unanswered, and every such connection was closed
with 1011 "keepalive ping timeout" after two ping intervals.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.frames import Opcode

from duck.conf import settings
from duck.contrib.websockets.deadlines import Deadlines, Due
from duck.core.handler import Handler

URLCONF = "tests.contrib.websockets.asgi_app.urls"
INTERVAL = 0.1
WAIT = 10.0


# -- the pure object ------------------------------------------------------------------------------
def keepalive(now: float = 100.0, **options: float | None) -> Deadlines:
    defaults: dict[str, float | None] = {"ping_interval": 20.0, "ping_timeout": 20.0, "close_timeout": 5.0}
    return Deadlines(now, **{**defaults, **options})  # type: ignore[arg-type]


def test_a_silent_client_is_pinged_after_the_interval():
    deadlines = keepalive()
    assert deadlines.next_deadline() == 120.0
    assert deadlines.due(119.9) is Due.NOTHING
    assert deadlines.due(120.0) is Due.PING


def test_a_pong_with_the_same_timestamp_as_its_ping_answers_it():
    deadlines = keepalive()
    deadlines.ping_sent(120.0)
    deadlines.frame_received(120.0)  # a clock with millisecond steps: same value as the ping
    assert deadlines.next_deadline() == 140.0  # the next ping, not a ping timeout
    assert deadlines.due(140.0) is Due.PING


def test_an_unanswered_ping_times_out():
    deadlines = keepalive()
    deadlines.ping_sent(120.0)
    assert deadlines.next_deadline() == 140.0
    assert deadlines.due(139.0) is Due.NOTHING
    assert deadlines.due(140.0) is Due.PING_TIMEOUT


def test_without_ping_timeout_an_unanswered_ping_is_repeated():
    deadlines = keepalive(ping_timeout=None)
    deadlines.ping_sent(120.0)
    assert deadlines.due(140.0) is Due.PING


def test_receive_timeout_counts_any_frame():
    deadlines = keepalive(receive_timeout=30.0, ping_interval=None)
    assert deadlines.next_deadline() == 130.0
    deadlines.frame_received(125.0)
    assert deadlines.due(130.0) is Due.NOTHING
    assert deadlines.due(155.0) is Due.RECEIVE_TIMEOUT


def test_receive_timeout_and_pings_the_sooner_wins():
    deadlines = keepalive(receive_timeout=10.0)
    assert deadlines.next_deadline() == 110.0
    assert deadlines.due(110.0) is Due.RECEIVE_TIMEOUT


def test_closing_replaces_every_other_deadline():
    deadlines = keepalive(receive_timeout=1.0)
    deadlines.closing(100.5)
    deadlines.closing(103.0)  # the first call sets the deadline
    assert deadlines.next_deadline() == 105.5
    assert deadlines.due(105.0) is Due.NOTHING
    assert deadlines.due(105.5) is Due.CLOSE_TIMEOUT


def test_no_timers_means_no_deadline():
    assert keepalive(ping_interval=None).next_deadline() is None


# -- a real server and a client that only answers pings -----------------------------------------------
def _loop_factories() -> list[object]:
    factories: list[object] = [pytest.param(asyncio.new_event_loop, id="asyncio")]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on CPython/POSIX
        return factories
    return [*factories, pytest.param(uvloop.new_event_loop, id="uvloop")]


@contextlib.contextmanager
def server_in_thread(loop_factory) -> Iterator[int]:
    """duck's server on its own loop (asyncio's or uvloop's) in a thread; yields the port."""
    from duck.server import Server

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        server = Server(Handler(), sock=sock, announce=False)
        holder["server"], holder["loop"] = server, asyncio.get_running_loop()
        started = asyncio.Event()
        task = asyncio.ensure_future(server.serve(started))
        await started.wait()
        ready.set()
        await task

    def run() -> None:
        loop = loop_factory()  # not asyncio.Runner(loop_factory=...): Python 3.11+
        try:
            loop.run_until_complete(main())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(WAIT), "the server did not start"
    try:
        yield port
    finally:
        loop = holder["loop"]
        loop.call_soon_threadsafe(holder["server"].stop)  # type: ignore[attr-defined]
        thread.join(WAIT)


@pytest.mark.parametrize("loop_factory", _loop_factories())
async def test_client_that_never_pings_stays_open_across_many_intervals(loop_factory):
    with (
        settings.override(
            ROOT_URLCONF=URLCONF,
            SERVER_ACCESS_LOG=False,
            WEBSOCKET_PING_INTERVAL=INTERVAL,
            WEBSOCKET_PING_TIMEOUT=INTERVAL,
        ),
        server_in_thread(loop_factory) as port,
    ):
        async with connect(f"ws://127.0.0.1:{port}/ws/myws", ping_interval=None, open_timeout=WAIT) as ws:
            pings = 0
            receive_frame = ws.protocol.recv_frame

            def counting(frame):
                nonlocal pings
                pings += opcode_is_ping(frame.opcode)
                receive_frame(frame)

            ws.protocol.recv_frame = counting  # type: ignore[method-assign]
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.wait_closed(), INTERVAL * 12)  # 6x (interval + timeout)
            assert pings >= 5  # the server did ping, and every answer counted
            await ws.send("still here")
            assert "still here" in await asyncio.wait_for(ws.recv(), WAIT)


def opcode_is_ping(opcode: Opcode) -> int:
    return int(opcode is Opcode.PING)
