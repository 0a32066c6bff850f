"""examples/dwebsocket_views: dwebsocket's README examples, ``echo_once`` and ``lower_case``."""

from __future__ import annotations

import asyncio

import pytest

from tests.contrib.websockets.faces.servers import WAIT, http_get
from tests.examples.conftest import SERVERS, recv, serve_example

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("dwebsocket_views", request.param)


async def test_echo_once_echoes_then_closes(served):
    async with served.connect("/echo_once") as ws:
        await ws.send("Hello")
        assert await recv(ws) == "Hello"
        await asyncio.wait_for(ws.wait_closed(), WAIT)
    assert ws.close_code == 1000  # returning from the view closed the connection


async def test_echo_once_refuses_plain_http(served):
    status, _ = await http_get(served.base, "/echo_once")
    assert status == 400


async def test_lower_case_over_a_websocket(served):
    async with served.connect("/lower_case") as ws:
        for text in ("ABC", "DéF", "MiXeD CaSe"):
            await ws.send(text)
            assert await recv(ws) == text.lower()


async def test_lower_case_over_plain_http(served):
    assert await http_get(served.base, "/lower_case?message=HeLLo") == (200, b"hello")
