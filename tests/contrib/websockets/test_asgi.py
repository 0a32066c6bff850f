"""The same views over ASGI: ``UpgradeResponse.upgrade.run_asgi(scope, receive, send)`` with in-memory queues."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from duck.conf import settings
from duck.contrib.websockets import OpCode, PreparedFrame
from duck.exceptions import ConnectionClosed
from duck.http.response import UpgradeResponse
from tests.contrib.websockets.helpers import WAIT, Log, ws_request
from tests.contrib.websockets.views import Broadcast, Chat, Notifications, Recorder


class ASGIPeer:
    """Plays the ASGI server: queues for receive(), a list (and an event) for send()."""

    def __init__(self, subprotocols: list[str] | None = None, fail_sends: bool = False) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.fail_sends = fail_sends
        self.scope = {"type": "websocket", "path": "/ws", "subprotocols": subprotocols or [], "extensions": {}}

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send(self, message: dict[str, Any]) -> None:
        if self.fail_sends and message["type"] == "websocket.send":
            raise OSError("client disconnected")
        self.sent.append(message)
        self.changed.set()

    def push(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait(message)

    async def wait_for(self, predicate, timeout: float = WAIT) -> None:
        async def until() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until(), timeout)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == kind]


async def run(view_class=Recorder, peer: ASGIPeer | None = None, **initkwargs):
    log = Log()
    peer = peer or ASGIPeer()
    request, _client = ws_request()
    response = await view_class.as_view(log=log, **initkwargs)(request)
    assert isinstance(response, UpgradeResponse)
    peer.push({"type": "websocket.connect"})
    task = asyncio.create_task(response.upgrade.run_asgi(peer.scope, peer.receive, peer.send))
    await peer.wait_for(lambda: peer.of_type("websocket.accept") or peer.of_type("websocket.close"))
    return peer, task, log


async def test_echo_over_asgi_and_disconnect_ends_with_on_close_and_its_code():
    peer, task, log = await run()
    assert peer.sent[0] == {"type": "websocket.accept", "subprotocol": None}
    peer.push({"type": "websocket.receive", "text": "héllo"})
    await peer.wait_for(lambda: peer.of_type("websocket.send"))
    assert peer.of_type("websocket.send")[0] == {"type": "websocket.send", "text": "You sent héllo"}
    peer.push({"type": "websocket.receive", "bytes": b"\x01\x02"})
    await peer.wait_for(lambda: len(peer.of_type("websocket.send")) == 2)
    assert peer.of_type("websocket.send")[1]["bytes"] == b"\x01\x02"
    assert ("receive", OpCode.TEXT, "héllo".encode()) in log
    peer.push({"type": "websocket.disconnect", "code": 1001})
    await asyncio.wait_for(task, WAIT)
    assert log[-1] == ("close", 1001) and log.count(("close", 1001)) == 1


async def test_subprotocol_is_chosen_from_the_scope():
    peer, task, log = await run(Chat, ASGIPeer(subprotocols=["chat.v1", "chat.v2"]))
    assert peer.sent[0]["subprotocol"] == "chat.v2"
    peer.push({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, WAIT)
    assert ("subprotocol", "chat.v2") in log


async def test_message_above_the_cap_closes_with_1009():
    peer, task, log = await run(MAX_FRAME_SIZE=1000, MAX_MESSAGE_SIZE=100)
    peer.push({"type": "websocket.receive", "bytes": b"x" * 101})
    await asyncio.wait_for(task, WAIT)
    assert peer.of_type("websocket.close")[0]["code"] == 1009
    assert ("close", 1009) in log


async def test_a_frame_cap_above_the_message_setting_raises_the_message_cap():
    with settings.override(WEBSOCKET_MAX_MESSAGE_SIZE=100):
        peer, task, log = await run(MAX_FRAME_SIZE=1000)
        peer.push({"type": "websocket.receive", "bytes": b"x" * 1000})
        peer.push({"type": "websocket.receive", "bytes": b"x" * 1001})
        await asyncio.wait_for(task, WAIT)
    assert ("receive", 2, b"x" * 1000) in log  # 2: binary
    assert peer.of_type("websocket.close")[0]["code"] == 1009


async def test_text_above_the_cap_in_utf8_bytes_closes_with_1009():
    peer, task, _log = await run(MAX_FRAME_SIZE=100)
    peer.push({"type": "websocket.receive", "text": "é" * 51})  # 51 characters, 102 bytes
    await asyncio.wait_for(task, WAIT)
    assert peer.of_type("websocket.close")[0]["code"] == 1009


async def test_receive_timeout_closes_with_1001():
    peer, task, _log = await run(RECEIVE_TIMEOUT=0.05)
    await asyncio.wait_for(task, WAIT)
    assert peer.of_type("websocket.close")[0] == {"type": "websocket.close", "code": 1001, "reason": "receive timeout"}


async def test_server_close_sends_websocket_close():
    peer, task, log = await run()
    peer.push({"type": "websocket.receive", "text": "close-me"})
    await asyncio.wait_for(task, WAIT)
    assert peer.of_type("websocket.close")[0] == {"type": "websocket.close", "code": 4000, "reason": "bye"}
    assert ("close", 4000) in log


async def test_on_receive_raising_closes_with_1011(caplog):
    with caplog.at_level(logging.ERROR, logger="duck.websockets"):
        peer, task, _log = await run()
        peer.push({"type": "websocket.receive", "text": "boom"})
        await asyncio.wait_for(task, WAIT)
    assert peer.of_type("websocket.close")[0]["code"] == 1011
    assert "boom in on_receive" in caplog.text


async def test_a_send_failing_because_the_client_left_ends_the_connection_quietly(caplog):
    with caplog.at_level(logging.ERROR):
        peer, task, log = await run(peer=ASGIPeer(fail_sends=True))
        peer.push({"type": "websocket.receive", "text": "hi"})  # the echo's send raises OSError
        await asyncio.wait_for(task, WAIT)
    assert log[-1] == ("close", 1006)
    assert not caplog.records


async def test_owned_tasks_stop_when_the_asgi_client_leaves(caplog):
    with caplog.at_level(logging.DEBUG, logger="duck.tasks"):
        peer, task, log = await run(Notifications)
        await peer.wait_for(lambda: len(peer.of_type("websocket.send")) >= 2)
        peer.push({"type": "websocket.disconnect", "code": 1001})
        await asyncio.wait_for(task, WAIT)
        await log.wait_for(lambda: "push-cancelled" in log)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_send_prepared_sends_the_payload():
    peer, task, _log = await run(Broadcast, frame=PreparedFrame(b"\x00bin"))
    await peer.wait_for(lambda: peer.of_type("websocket.send"))
    assert peer.of_type("websocket.send")[0] == {"type": "websocket.send", "bytes": b"\x00bin"}
    peer.push({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, WAIT)


async def test_a_client_gone_before_connect_runs_nothing():
    log: list = []
    peer = ASGIPeer()
    request, _ = ws_request()
    response = await Recorder.as_view(log=log)(request)
    peer.push({"type": "websocket.disconnect", "code": 1006})
    await asyncio.wait_for(response.upgrade.run_asgi(peer.scope, peer.receive, peer.send), WAIT)
    assert peer.sent == [] and log == []


async def test_connection_closed_carries_the_disconnect_code():
    from duck.contrib.websockets.asgi import ASGIWebSocket
    from duck.contrib.websockets.options import ConnectionOptions

    peer = ASGIPeer()
    request, _ = ws_request()
    connection = ASGIWebSocket(request, ConnectionOptions(), peer.scope, peer.receive, peer.send)
    await connection.accept()
    peer.push({"type": "websocket.disconnect", "code": 4321, "reason": "gone"})
    with pytest.raises(ConnectionClosed) as info:
        await connection.receive()
    assert (info.value.code, info.value.reason) == (4321, "gone")
    with pytest.raises(ConnectionClosed):
        await connection.send_text("late")
