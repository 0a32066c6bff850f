"""examples/ravyn_chat: Ravyn's ``chat_socket`` and the ``ConnectionManager`` broadcast ``chat_room``."""

from __future__ import annotations

import pytest

from tests.examples.conftest import SERVERS, recv, recv_skipping, serve_example

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("ravyn_chat", request.param)


async def test_chat_socket_answers_with_the_client_id(served):
    async with served.connect("/ws/alice") as ws:
        await ws.send("hi")
        assert await recv(ws) == "Message from alice: hi"
    await served.printed("Client alice disconnected")  # the WebSocketDisconnect branch ran


async def test_chat_room_broadcasts_to_every_connection(served):
    async with served.connect("/chat") as alice:
        # manager.connect() appends after accept(): one's own broadcast coming back proves one is listed.
        await alice.send("alice here")
        assert await recv(alice) == "Broadcast: alice here"
        async with served.connect("/chat") as bob:
            await bob.send("bob here")
            # broadcast() may still be looping with alice's message when bob is appended.
            await recv_skipping(bob, "Broadcast: bob here", skippable={"Broadcast: alice here"})
            assert await recv(alice) == "Broadcast: bob here"
            await alice.send("hello all")
            assert await recv(alice) == "Broadcast: hello all"
            assert await recv(bob) == "Broadcast: hello all"
        await alice.send("bob left")  # manager.disconnect() removed bob
        assert await recv(alice) == "Broadcast: bob left"
