"""Groups on duck's own server with the in-memory backend, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from duck.contrib.websockets import groups
from tests.contrib.websockets.faces.servers import duck_in_process, http_get
from tests.contrib.websockets.groups.clients import StalledClient
from tests.contrib.websockets.groups.conftest import SETTINGS, command, member, nothing_more, recv
from tests.contrib.websockets.groups.project import views

pytestmark = pytest.mark.interop


@pytest.fixture
async def base():
    async with duck_in_process(SETTINGS) as url:
        yield url


async def test_send_reaches_every_member_but_the_excluded_one(base):
    async with member(base) as (ann, hello), member(base) as (bob, _), member(base) as (cid, _):
        assert hello["groups"] == ["lobby"]  # GROUPS joined before on_open ran
        await command(ann, op="say", text="hi all", exclude_self=True)
        assert await recv(bob) == "hi all"
        assert await recv(cid) == "hi all"
        await nothing_more(ann, bob, bob, cid)  # ann's own message was not sent back to her
        await command(bob, op="say", text="bob too")  # exclude_self=False: bob gets it as well
        for ws in (ann, bob, cid):
            assert await recv(ws) == "bob too"


async def test_a_group_reaches_only_its_members_and_leave_stops_delivery(base):
    async with member(base) as (ann, _), member(base) as (bob, _):
        await command(ann, op="join", group="blue")
        assert json.loads(await recv(ann)) == {"joined": "blue"}
        await command(bob, op="send", group="blue", value="to blue")
        assert await recv(ann) == "to blue"
        await nothing_more(bob, ann, ann)  # bob is in the lobby only
        await command(ann, op="leave", group="blue")
        assert json.loads(await recv(ann)) == {"left": "blue"}
        await command(bob, op="send", group="blue", value="nobody hears this")
        await nothing_more(ann, bob, bob)


async def test_broadcast_without_a_group_goes_to_each_group_of_the_connection(base):
    async with member(base) as (ann, _), member(base) as (bob, _):
        await command(ann, op="join", group="red")
        assert json.loads(await recv(ann)) == {"joined": "red"}
        await command(ann, op="say", text="everywhere", exclude_self=True)
        assert await recv(bob) == "everywhere"  # bob shares only the lobby with ann
        await nothing_more(bob, ann, ann)


async def test_json_values_go_as_json_text_and_bytes_as_binary(base):
    async with member(base) as (ann, _), member(base) as (bob, _):
        await command(ann, op="send", group="lobby", value={"user": "ann", "n": [1, 2]})
        assert json.loads(await recv(bob)) == {"user": "ann", "n": [1, 2]}
        await command(ann, op="send", group="lobby", value="raw", binary=True)
        assert await recv(bob) == b"raw"


async def test_closed_connections_leave_their_groups(base):
    async with member(base) as (ann, _):
        await command(ann, op="join", group="green")
        assert json.loads(await recv(ann)) == {"joined": "green"}
        ann_connection = views.OPENED[-1]
        async with member(base):
            bob_connection = views.OPENED[-1]
            assert groups.members("lobby") == {ann_connection, bob_connection}
        # The closing handshake is over: the server saw the close and ran the close callback.
        assert bob_connection.closed
        assert groups.members("lobby") == {ann_connection}
        assert groups.groups_of(bob_connection) == frozenset()
        await command(ann, op="say", text="still works", exclude_self=False)
        assert await recv(ann) == "still works"
    assert ann_connection.closed
    assert groups.members("lobby") == groups.members("green") == frozenset()
    assert len(groups.get_backend().local) == 0  # no empty groups left behind


async def test_every_face_of_a_connection_can_join(base):
    """A WebSocketView, a Starlette-style WebSocket and both dwebsocket faces, in one group."""
    async with (
        member(base, "/ws/starlette/faces") as (starlette, _),
        member(base, "/dws/async/faces") as (dws_async, _),
        member(base, "/dws/sync/faces") as (dws_sync, _),
        member(base, "/ws/quiet/faces") as (view, _),
    ):
        status, _body = await http_get(base, "/http/send/faces?text=hello%20faces")
        assert status == 200
        for ws in (starlette, dws_async, dws_sync, view):
            assert await recv(ws) == "hello faces"
        await starlette.send("from starlette")  # relayed with exclude=the WebSocket itself
        for ws in (dws_async, dws_sync, view):
            assert await recv(ws) == "from starlette"
        await dws_sync.send("from a thread")  # groups.send_sync with exclude=request.websocket
        for ws in (starlette, dws_async, view):
            assert await recv(ws) == "from a thread"
        await dws_async.send("from dwebsocket")
        for ws in (starlette, dws_sync, view):
            assert await recv(ws) == "from dwebsocket"
        status, _body = await http_get(base, "/http/send/faces?text=end")
        assert status == 200
        for ws in (starlette, dws_async, dws_sync, view):
            assert await recv(ws) == "end"  # nobody got their own relayed message back


async def test_send_sync_from_a_sync_http_view(base):
    async with member(base) as (ann, _), member(base) as (bob, _):
        status, body = await http_get(base, "/http/send-sync/lobby?text=from%20a%20sync%20view")
        assert (status, body) == (200, b"sent")
        assert await recv(ann) == "from a sync view"
        assert await recv(bob) == "from a sync view"


async def test_a_deflate_client_receives_the_shared_uncompressed_frame(base):
    """RFC 7692 §6: an uncompressed message (RSV1 clear) is valid on a permessage-deflate connection,
    and leaves the compression context of the messages around it intact."""
    async with member(base) as (ann, _):
        assert ann.protocol.extensions  # permessage-deflate was negotiated
        text = "compressible " * 200
        await command(ann, op="echo", text=text)
        assert await recv(ann) == text  # compressed by the connection
        await groups.send("lobby", "shared " * 200)
        assert await recv(ann) == "shared " * 200  # the prepared, uncompressed frame
        await command(ann, op="echo", text=text)
        assert await recv(ann) == text  # compressed again, with the context it had


# -- slow clients ---------------------------------------------------------------------------------------
async def _send_until(group: str, readers: list, done, limit: int = 1000) -> int:
    """Broadcast 16 KiB messages until ``done()``; each reader must get each one before the next is sent."""
    loop = asyncio.get_running_loop()
    payload = "x" * 16384
    for i in range(limit):
        started = loop.time()
        await groups.send(group, f"{i}:{payload}")
        for ws in readers:
            assert (await recv(ws)).startswith(f"{i}:")
        assert loop.time() - started < 1.0, "a member waited for the stalled client"
        if done():
            return i
    raise AssertionError(f"still not done after {limit} messages")


async def test_a_stalled_client_is_closed_with_1013_and_the_others_do_not_wait(caplog):
    async with duck_in_process(SETTINGS, GROUPS_MAX_BUFFER=64 * 1024, WEBSOCKET_CLOSE_TIMEOUT=5.0) as base:
        stalled = await StalledClient.open(base + "/ws/quiet/room")
        try:
            stalled_connection = views.OPENED[-1]
            async with member(base, "/ws/quiet/room") as (ann, _), member(base, "/ws/quiet/room") as (bob, _):
                with caplog.at_level(logging.WARNING, logger="duck.websockets.groups"):
                    await _send_until("room", [ann, bob], lambda: stalled_connection.closed)
                assert stalled_connection.close_code == 1013
                assert stalled_connection not in groups.members("room")
                assert "with 1013" in caplog.text and "GROUPS_MAX_BUFFER" in caplog.text
                await groups.send("room", "after")
                assert await recv(ann) == "after" and await recv(bob) == "after"
            stalled.resume()  # the close frame is queued behind everything the server had buffered
            await stalled.read_until(lambda: stalled.close_code is not None)
            assert stalled.close_code == 1013
            assert "after" not in stalled.texts
        finally:
            await stalled.close()


async def test_drop_policy_keeps_a_stalled_client_and_skips_what_does_not_fit():
    overrides = {"GROUPS_MAX_BUFFER": 64 * 1024, "GROUPS_OVERFLOW_POLICY": "drop"}
    async with duck_in_process(SETTINGS, **overrides) as base:
        stalled = await StalledClient.open(base + "/ws/quiet/room")
        try:
            connection = views.OPENED[-1]
            transport = connection._transport
            async with member(base, "/ws/quiet/room") as (ann, _):
                last = await _send_until("room", [ann], lambda: transport.get_write_buffer_size() >= 64 * 1024)
                await groups.send("room", "skipped")  # over the buffer: not given to the stalled client
                assert await recv(ann) == "skipped"
                assert not connection.closed and connection in groups.members("room")
                stalled.resume()
                await stalled.read_until(lambda: any(t.startswith(f"{last}:") for t in stalled.texts))
                await groups.send("room", "caught up")
                await stalled.read_until(lambda: stalled.texts[-1] == "caught up")
                assert "skipped" not in stalled.texts
                assert await recv(ann) == "caught up"
        finally:
            await stalled.close()


async def test_under_uvicorn_a_stalled_client_is_closed_with_1013_and_the_others_do_not_wait():
    """ASGI: broadcasts wait in each connection's bounded outbox; a full one closes the connection."""
    from tests.contrib.websockets.faces.servers import start_uvicorn
    from tests.contrib.websockets.groups.conftest import ASGI_APP

    pytest.importorskip("uvicorn")
    server, base = start_uvicorn(ASGI_APP, SETTINGS)
    try:
        stalled = await StalledClient.open(base + "/ws/lobby")
        try:
            async with member(base) as (ann, _), member(base) as (bob, _):
                payload = "x" * 16384
                for i in range(1000):
                    await command(ann, op="send", group="lobby", value=f"{i}:{payload}")
                    for ws in (ann, bob):
                        assert (await recv(ws)).startswith(f"{i}:")
                    if i % 10 == 9 and json.loads((await http_get(base, "/http/members/lobby"))[1])["members"] == 2:
                        break
                else:
                    raise AssertionError("the stalled client was never dropped")
            stalled.resume()
            await stalled.read_until(lambda: stalled.close_code is not None, timeout=10)
            assert stalled.close_code == 1013
        finally:
            await stalled.close()
    finally:
        server.stop()
    assert "Traceback" not in server.text, server.text
