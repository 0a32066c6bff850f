"""The Starlette/Ravyn face: ``@websocket`` routes and ``WebSocket``, over real sockets on both servers.

The issue's ``chat_socket`` runs verbatim; the probes cover the handshake rules (never accepted:
403; returned: 1000; raised: 1011, logged), path parameters, the receive/send/iterate methods,
``client_state`` and ``WebSocketDisconnect``'s code. The last tests need no server: the
decorated handler as a route, a callable and an inspectable function.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid

import pytest

from duck.contrib.websockets import WebSocket, WebSocketRoute, websocket
from duck.exceptions import ImproperlyConfigured
from duck.urls import URLPattern, resolve, reverse
from tests.contrib.websockets.faces.project import routes
from tests.contrib.websockets.faces.servers import http_get
from tests.contrib.websockets.faces.test_dwebsocket import (
    event_seen,
    handshake_status,
    recv,
    server_close_code,
    ws_connect,
)

URLCONF = "tests.contrib.websockets.faces.project.urls"


# --- over the network ------------------------------------------------------------------------------
@pytest.mark.interop
async def test_chat_socket_snippet_answers_with_the_path_parameter(base):
    async with ws_connect(base, "/ws/alice") as ws:
        await ws.send("hi")
        assert await recv(ws) == "Message from alice: hi"
        await ws.send("again")
        assert await recv(ws) == "Message from alice: again"
    assert ws.close_code == 1000  # the client's close, answered; WebSocketDisconnect ended the handler


@pytest.mark.interop
async def test_a_handler_that_never_accepts_has_its_handshake_refused_with_403(base):
    assert await handshake_status(base, "/routes/never-accepts") == 403


@pytest.mark.interop
async def test_a_raising_handler_closes_with_1011_and_the_error_is_logged(base, caplog, request):
    with caplog.at_level(logging.ERROR, logger="duck.websockets"):
        async with ws_connect(base, "/routes/raises") as ws:
            await ws.send("boom")
            assert await server_close_code(ws) == 1011
            assert ws.close_reason == ""  # the error is not sent to the client
    if request.node.callspec.params["base"] == "duck":
        assert "the handler failed" in caplog.text


@pytest.mark.interop
async def test_path_params_handshake_details_and_json(base):
    tag_room = 40 + uuid.uuid4().int % 1000
    path = f"/routes/details/{tag_room}?q=x"
    async with ws_connect(base, path, subprotocols=["chat.v1"]) as ws:
        assert ws.subprotocol == "chat.v1"
        assert ws.response.headers["x-room"] == str(tag_room)
        report = json.loads(await recv(ws))
        assert report == {
            "room": tag_room,
            "type": "int",  # converted by the route's {room:int}
            "kwargs": [],
            "path_params": {"room": tag_room},
            "q": "x",
            "before": "CONNECTING",
            "after": "CONNECTED",
            "subprotocol": "chat.v1",
            "url": base + path,
        }
        await ws.send(json.dumps({"a": [1, "ü"]}))
        assert json.loads(await recv(ws)) == {"echo": {"a": [1, "ü"]}}
    assert await event_seen(base, f"details-{tag_room}:state:DISCONNECTED")  # iter_json ended quietly


@pytest.mark.interop
async def test_receive_text_refuses_a_binary_message_with_1003(base):
    async with ws_connect(base, "/routes/text-only") as ws:
        await ws.send("text")
        assert await recv(ws) == "text"
        await ws.send(b"binary")
        assert await server_close_code(ws) == 1003


@pytest.mark.interop
async def test_iter_bytes_and_send_bytes(base):
    async with ws_connect(base, "/routes/bytes") as ws:
        await ws.send(b"\x01\x02\x03")
        assert await recv(ws) == b"\x03\x02\x01"


@pytest.mark.interop
async def test_websocket_disconnect_carries_the_clients_close_code(base):
    tag = uuid.uuid4().hex
    async with ws_connect(base, f"/routes/disconnect/{tag}") as ws:
        await ws.send("hello")
        await ws.close(4000, "leaving")
    assert await event_seen(base, f"{tag}:disconnect:4000")


@pytest.mark.interop
async def test_the_handler_closes_with_its_own_code(base):
    tag = uuid.uuid4().hex
    async with ws_connect(base, f"/routes/disconnect/{tag}") as ws:
        await ws.send("close")
        assert await server_close_code(ws) == 4001
        assert ws.close_reason == "asked to"
    assert await event_seen(base, f"{tag}:app:DISCONNECTED")


@pytest.mark.interop
async def test_a_plain_http_request_to_a_websocket_route_gets_426(base):
    status, _ = await http_get(base, "/ws/alice")
    assert status == 426


# --- the route object ----------------------------------------------------------------------------------
def test_the_decorated_handler_is_a_url_pattern_named_and_reversible():
    assert isinstance(routes.chat_socket, WebSocketRoute)
    assert isinstance(routes.chat_socket, URLPattern)
    assert reverse("details", URLCONF, kwargs={"room": 3}) == "/routes/details/3"
    match = resolve("/ws/bob", URLCONF)
    assert match.url_pattern is routes.chat_socket
    assert match.kwargs == {"client_id": "bob"}


def test_the_decorated_handler_stays_inspectable():
    route = routes.chat_socket
    assert route.__name__ == "chat_socket"
    assert route.__wrapped__ is route.endpoint
    assert list(inspect.signature(route).parameters) == ["websocket", "client_id"]
    assert route.path == "/ws/{client_id}"
    assert repr(route) == "<WebSocketRoute '/ws/{client_id}' endpoint=chat_socket>"
    assert "name='details'" in repr(routes.details)


async def test_calling_the_route_calls_the_handler():
    calls = []

    @websocket("/ws/{client_id}")
    async def handler(websocket: WebSocket, client_id: str) -> str:
        calls.append((websocket, client_id))
        return "called"

    assert await handler("a websocket", client_id="7") == "called"
    assert calls == [("a websocket", "7")]


def test_a_sync_handler_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match="async def"):

        @websocket("/ws")
        def handler(websocket):  # pragma: no cover - never called
            pass


def test_a_required_parameter_the_route_does_not_capture_is_refused():
    with pytest.raises(ImproperlyConfigured, match="requires room"):

        @websocket("/ws/{client_id}")
        async def handler(websocket, client_id, room):  # pragma: no cover - never called
            pass


def test_a_handler_without_a_websocket_parameter_is_refused():
    with pytest.raises(ImproperlyConfigured, match="first argument"):

        @websocket("/ws")
        async def handler():  # pragma: no cover - never called
            pass


def test_websocket_without_a_route_says_how_to_use_it():
    async def handler(websocket):  # pragma: no cover - never called
        pass

    with pytest.raises(ImproperlyConfigured, match=r'@websocket\("/ws/'):
        websocket(handler)
