"""The groups API in one process: encoding once, membership bookkeeping, argument and settings checks.

Connections here are duck's server protocol on a fake transport (tests/contrib/websockets/helpers),
so the bytes each connection writes can be compared exactly.
"""

from __future__ import annotations

import json

import pytest
from websockets.frames import Frame

from duck.conf import LazySettings, settings
from duck.contrib.websockets import PreparedFrame, WebSocket, WebSocketView, groups
from duck.contrib.websockets import connection as connection_module
from duck.contrib.websockets.enums import OpCode
from duck.contrib.websockets.groups.redis_backend import decode_message, encode_message
from duck.exceptions import ImproperlyConfigured
from duck.utils.redis_client import redis_url
from tests.contrib.websockets.groups.project.views import Lobby
from tests.contrib.websockets.helpers import open_session, ws_request


async def lobby_session(*, compression: bool = False):
    request, client = ws_request("/ws/lobby", compression=compression)
    session = await open_session(Lobby.as_view(), request, client)
    assert json.loads(await session.next_text())["groups"] == ["lobby"]
    return session


async def close_all(sessions) -> None:
    for session in sessions:
        session.transport.lose()
    for session in sessions:
        await session.transport.wait_for(lambda s=session: s.protocol.closed)


async def test_fan_out_encodes_once_and_writes_the_same_bytes_to_every_connection(monkeypatch):
    sessions = [await lobby_session(compression=i % 2 == 1) for i in range(20)]
    serialized = []
    original_frame, original_serialize = connection_module.server_frame, Frame.serialize

    def counting(*args, **kwargs):
        serialized.append(args)
        return original_frame(*args, **kwargs)

    def serializing(self, *args, **kwargs):
        serialized.append(self)  # any encoding through websockets counts too
        return original_serialize(self, *args, **kwargs)

    monkeypatch.setattr(connection_module, "server_frame", counting)
    monkeypatch.setattr(Frame, "serialize", serializing)
    await groups.send("lobby", "to everyone")
    monkeypatch.setattr(connection_module, "server_frame", original_frame)
    monkeypatch.setattr(Frame, "serialize", original_serialize)
    assert len(serialized) == 1  # one frame for 20 connections
    expected = PreparedFrame("to everyone").frame
    for session in sessions:
        assert session.transport.history.endswith(expected)  # compressed connections included
        assert await session.next_text() == "to everyone"
    await close_all(sessions)


async def test_a_compressed_connection_decodes_its_own_messages_around_a_shared_frame():
    """RFC 7692 §6/§7.2.3: the uncompressed broadcast leaves the deflate context in step."""
    session = await lobby_session(compression=True)
    assert session.client.extensions  # permessage-deflate negotiated
    text = "squeeze me " * 100
    await session.protocol.send_text(text)
    assert await session.next_text() == text
    await groups.send("lobby", "plain " * 100)
    assert await session.next_text() == "plain " * 100
    await session.protocol.send_text(text)  # refers back to the first message's window
    assert await session.next_text() == text
    await close_all([session])


async def test_members_and_groups_of_follow_joins_leaves_and_closes():
    ann, bob = await lobby_session(), await lobby_session()
    await groups.add("blue", ann.protocol)
    assert groups.members("lobby") == {ann.protocol, bob.protocol}
    assert groups.groups_of(ann.protocol) == {"lobby", "blue"}
    await groups.discard("blue", ann.protocol)
    await groups.discard("blue", ann.protocol)  # not a member any more: nothing happens
    assert groups.members("blue") == frozenset()
    await close_all([ann])
    assert groups.members("lobby") == {bob.protocol}
    await groups.add("blue", ann.protocol)  # a closed connection is not added: it would never leave
    assert groups.members("blue") == frozenset()
    await close_all([bob])
    assert len(groups.get_backend().local) == 0


async def test_view_starlette_and_connection_are_the_same_member():
    session = await lobby_session()
    connection = session.protocol
    view = WebSocketView()
    view.connection = connection
    await groups.add("g", view)
    await groups.add("g", WebSocket(connection))
    assert groups.members("g") == {connection}
    await groups.send("g", "once", exclude=WebSocket(connection))
    await groups.send("g", "twice")
    assert await session.next_text() == "twice"  # "once" excluded it, whichever face named it
    await close_all([session])


async def test_wrong_arguments_say_what_is_expected():
    with pytest.raises(TypeError, match="WebSocketConnection, WebSocketView"):
        await groups.add("g", object())
    with pytest.raises(TypeError, match="group name is a str"):
        await groups.send(42, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        await groups.send("", "x")


def test_the_async_api_needs_a_loop_and_says_which_functions_to_use_instead():
    with pytest.raises(RuntimeError, match="send_sync"):
        groups.get_backend()


def test_prepare_encodes_text_binary_and_json():
    assert groups.prepare("é").opcode is OpCode.TEXT and groups.prepare("é").payload == "é".encode()
    assert groups.prepare(b"\x00").opcode is OpCode.BINARY
    assert groups.prepare({"a": [1, "é"]}).payload == '{"a":[1,"é"]}'.encode()
    frame = PreparedFrame("kept")
    assert groups.prepare(frame) is frame


def test_groups_class_attribute_must_be_a_list_of_names():
    class OneName(WebSocketView):
        GROUPS = "lobby"  # type: ignore[assignment]

    with pytest.raises(ImproperlyConfigured, match=r"write \['lobby'\]"):
        OneName.as_view()
    with pytest.raises(ImproperlyConfigured, match="non-empty strings"):
        WebSocketView.as_view(GROUPS=[""])


@pytest.mark.parametrize(
    "options",
    [
        {"GROUPS_MAX_BUFFER": 0},
        {"GROUPS_MAX_BUFFER": "1MB"},
        {"GROUPS_REDIS_TIMEOUT": 0},
        {"GROUPS_REDIS_BACKOFF_MAX": -1},
        {"GROUPS_REDIS_PREFIX": None},
    ],
)
def test_wrong_group_settings_are_refused_with_a_fix(options):
    with pytest.raises(ImproperlyConfigured, match=next(iter(options))):
        LazySettings().configure(**options)


def test_the_wire_format_round_trips_kind_exclusion_and_payload():
    for data, exclude in (("héllo\nworld", "123-abc:456"), (b"\x00\n\xff", "")):
        frame = PreparedFrame(data)
        opcode, excluded, payload = decode_message(encode_message(frame, exclude))
        assert (opcode, excluded, payload) == (frame.opcode, exclude, frame.payload)
        assert PreparedFrame.from_payload(opcode, payload).frame == frame.frame
    with pytest.raises(ValueError):
        decode_message(b"hello")


def test_duck_redis_url_environment_variable_wins_over_the_setting(monkeypatch):
    with settings.override(REDIS_URL="redis://settings-host:6379/1"):
        assert redis_url() == "redis://settings-host:6379/1"
        monkeypatch.setenv("DUCK_REDIS_URL", "redis://env-host:6379/2")
        assert redis_url() == "redis://env-host:6379/2"
