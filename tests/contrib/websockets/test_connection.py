"""The connection interface's small pieces: Message, PreparedFrame, iteration, enums."""

from __future__ import annotations

import asyncio
import struct

import pytest
from websockets.frames import Frame, Opcode

from duck.contrib.websockets import CloseCode, Message, OpCode, PreparedFrame, WebSocketConnection
from duck.contrib.websockets.asgi import ASGIWebSocket
from duck.contrib.websockets.options import ConnectionOptions
from duck.contrib.websockets.protocol import WebSocketProtocol
from tests.contrib.websockets.helpers import ws_request


def test_enums_match_rfc_6455():
    assert [int(o) for o in OpCode] == [0, 1, 2, 8, 9, 10]
    assert CloseCode.NORMAL_CLOSURE == 1000 and CloseCode.MESSAGE_TOO_BIG == 1009
    assert CloseCode.TRY_AGAIN_LATER == 1013 and CloseCode.INVALID_PAYLOAD == 1007


def test_message_gives_text_and_bytes_without_recomputing():
    text = Message(OpCode.TEXT, "héllo")
    assert text.data == "héllo" and text.bytes == "héllo".encode() and text.is_text
    wire = Message(OpCode.TEXT, "héllo".encode(), "héllo")
    assert wire.bytes is wire.bytes and wire.text == "héllo"
    binary = Message(OpCode.BINARY, b"\x00\x01")
    assert binary.data == b"\x00\x01" and not binary.is_text and len(binary) == 2
    assert text == wire and text != binary
    assert repr(Message(OpCode.TEXT, "x" * 100)).endswith("...'>")


def test_prepared_frame_is_a_valid_unmasked_server_frame():
    prepared = PreparedFrame("hello")
    assert prepared.frame == Frame(Opcode.TEXT, b"hello").serialize(mask=False)
    assert prepared.frame[:2] == struct.pack("!BB", 0x81, 5)  # FIN + text, no mask bit (RFC 6455 §5.1)
    big = PreparedFrame(b"\x00" * 70000)
    assert big.opcode is OpCode.BINARY and big.frame[1] == 127 and big.frame.endswith(big.payload)


def test_both_implementations_are_websocket_connections():
    assert issubclass(WebSocketProtocol, WebSocketConnection)
    assert issubclass(ASGIWebSocket, WebSocketConnection)


async def test_iterating_a_connection_yields_messages_until_it_closes():
    queue: asyncio.Queue = asyncio.Queue()
    sent: list = []

    async def send(message):
        sent.append(message)

    request, _client = ws_request()
    connection = ASGIWebSocket(request, ConnectionOptions(), {"type": "websocket"}, queue.get, send)
    with pytest.raises(RuntimeError):
        await connection.receive()  # before accept()
    await connection.accept(headers=[("Set-Cookie", "a=b")])
    assert sent == [{"type": "websocket.accept", "subprotocol": None, "headers": [(b"set-cookie", b"a=b")]}]
    for message in ({"type": "websocket.receive", "text": "one"}, {"type": "websocket.receive", "bytes": b"two"}):
        queue.put_nowait(message)
    queue.put_nowait({"type": "websocket.disconnect", "code": 1000})
    received = [message.data async for message in connection]
    assert received == ["one", b"two"]
    assert connection.closed and connection.close_code == 1000
    assert repr(connection) == "<ASGIWebSocket /ws closed code=1000>"


async def test_closing_before_accept_refuses_the_handshake_over_asgi():
    sent: list = []

    async def send(message):
        sent.append(message)

    request, _client = ws_request()
    connection = ASGIWebSocket(request, ConnectionOptions(), {"type": "websocket"}, _never, send)
    await connection.close(1008)
    assert sent == [{"type": "websocket.close", "code": 1008}]
    await connection.close()  # twice is fine
    assert len(sent) == 1


async def test_closing_before_accept_sends_a_403_response_when_the_server_supports_it():
    sent: list = []

    async def send(message):
        sent.append(message)

    scope = {"type": "websocket", "extensions": {"websocket.http.response": {}}}
    request, _client = ws_request()
    connection = ASGIWebSocket(request, ConnectionOptions(), scope, _never, send)
    await connection.close()
    assert [m["type"] for m in sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert sent[0]["status"] == 403 and sent[1]["body"] == b"WebSocket connection refused.\n"


async def _never():
    raise AssertionError("not expected")
