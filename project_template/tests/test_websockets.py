"""Tests of the project's WebSockets: websocket_connect() talks to a view without a server."""

from duck.test import AsyncClient, Client


def test_echo():
    with Client() as client, client.websocket_connect("/ws/echo") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "You sent hello"


async def test_echo_async():
    async with AsyncClient().websocket_connect("/ws/echo") as ws:
        await ws.send_text("hello")
        assert await ws.receive_text() == "You sent hello"
