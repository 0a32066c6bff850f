"""examples/duck_chat: Duck's chat app, which broadcasts each message to every other connected user."""

from __future__ import annotations

import pytest

from tests.examples.conftest import SERVERS, recv, serve_example

pytestmark = pytest.mark.interop

WELCOME = "👋 Welcome to the chat!"


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("duck_chat", request.param)


async def test_messages_go_to_every_other_user(served):
    async with served.connect("/ws/chat") as alice, served.connect("/ws/chat") as bob:
        assert await recv(alice) == WELCOME  # on_open added alice before welcoming her
        assert await recv(bob) == WELCOME
        await alice.send("hello")
        assert await recv(bob) == "User: hello"
        await bob.send("hi alice")
        assert await recv(alice) == "User: hi alice"  # alice's first message: her own was not echoed


async def test_a_user_who_left_is_no_longer_broadcast_to(served):
    async with served.connect("/ws/chat") as bob, served.connect("/ws/chat") as carol:
        assert await recv(bob) == WELCOME
        assert await recv(carol) == WELCOME
        async with served.connect("/ws/chat") as dave:
            assert await recv(dave) == WELCOME
            await dave.send("bye")
            assert await recv(bob) == "User: bye"
            assert await recv(carol) == "User: bye"
        await bob.send("is dave gone?")  # on_close removed dave: the broadcast does not trip over him
        assert await recv(carol) == "User: is dave gone?"
