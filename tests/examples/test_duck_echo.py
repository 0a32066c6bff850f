"""examples/duck_echo: Duck's quick WebSocket example (``MyWebSocket`` in urls.py, as in the docs)."""

from __future__ import annotations

import pytest

from tests.examples.conftest import SERVERS, recv, serve_example

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("duck_echo", request.param)


async def test_text_messages_are_answered(served):
    async with served.connect("/ws/myws") as ws:
        await ws.send("hello")
        assert await recv(ws) == "You sent hello"
        await ws.send("ünïcödé")
        assert await recv(ws) == "You sent ünïcödé"
    assert ws.close_code == 1000
    await served.printed("WebSocket connection established")  # on_open's print


async def test_binary_messages_are_ignored_and_the_connection_stays_open(served):
    async with served.connect("/ws/myws") as ws:
        await ws.send(b"\x00\x01")
        await ws.send("after binary")
        assert await recv(ws) == "You sent after binary"  # the first reply: nothing came for the binary frame
