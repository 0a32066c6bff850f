"""examples/dwebsocket_chat: the dwebsocket chat room (sync views, one thread each) that broadcasts to all."""

from __future__ import annotations

import pytest

from tests.contrib.websockets.faces.servers import http_get
from tests.examples.conftest import SERVERS, recv, recv_skipping, serve_example

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("dwebsocket_chat", request.param)


async def test_the_chat_page_renders(served):
    status, body = await http_get(served.base, "/chat")
    assert status == 200
    assert "聊天室" in body.decode()


async def test_plain_http_to_the_socket_url_is_answered(served):
    status, body = await http_get(served.base, "/ws/chat")
    assert (status, body.decode()) == (200, "请使用 WebSocket 连接")


async def test_messages_are_broadcast_to_every_user_including_the_sender(served):
    async with served.connect("/ws/chat") as alice:
        # A user is in the list once their own first message comes back to them.
        await alice.send("alice joined")
        assert await recv(alice) == "alice joined"
        async with served.connect("/ws/chat") as bob:
            await bob.send("bob joined")
            # ws_chat may still be looping over the list with "alice joined" when bob is appended.
            await recv_skipping(bob, "bob joined", skippable={"alice joined"})
            assert await recv(alice) == "bob joined"
            await alice.send("你好")
            assert await recv(alice) == "你好"
            assert await recv(bob) == "你好"
        await alice.send("still here")  # bob left: sends to his closed socket are dropped, as in dwebsocket
        assert await recv(alice) == "still here"
