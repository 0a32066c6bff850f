"""``client.websocket_connect()``: in-process WebSocket sessions with every face of duck's WebSockets.

The routes below are small probes, plus the seed examples (examples/duck_*) served as they are.
Every wait is bounded by the session's timeout (``WAIT``), so a broken server fails a test
instead of hanging it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from duck.contrib.websockets import (
    OpCode,
    WebSocket,
    WebSocketView,
    accept_websocket,
    require_websocket,
    websocket,
)
from duck.exceptions import ConnectionClosed, WebSocketDisconnect
from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse, UpgradeResponse
from duck.test import AsyncClient, Client, WebSocketRejected, WebSocketTimeout, override_settings
from duck.urls import path
from duck.utils.sync import async_to_sync, current_loop
from tests.upgrades import StubUpgrade

WAIT = 2.0  # seconds: the longest any single wait in these tests may take


# -- probe routes -------------------------------------------------------------------------------------
class Echo(WebSocketView):
    """Text back with a prefix, binary reversed; "close" makes the server close with 4001."""

    SUBPROTOCOLS = ["chat.v2", "chat.v1"]

    async def on_receive(self, data: bytes, opcode: int) -> None:
        if opcode != OpCode.TEXT:
            await self.send_binary(data[::-1])
        elif data == b"close":
            await self.send_text("closing")
            await self.close(4001, "asked to")
        elif data == b"boom":
            raise RuntimeError("the view failed")
        else:
            await self.send_text("echo: " + data.decode())


class Details(WebSocketView):
    """Sends what it saw of the handshake request as JSON, then echoes JSON."""

    async def on_open(self) -> None:
        request = self.request
        await self.send_json(
            {
                "path": request.path,
                "q": request.GET.get("q"),
                "room": self.kwargs.get("room"),
                "cookie": request.COOKIES.get("flavour"),
                "token": request.headers.get("x-token"),
                "secure": request.is_secure(),
                "client": list(request.client or ()),
            }
        )

    async def on_receive(self, data: bytes, opcode: int) -> None:
        await self.send_text(data.decode())


@websocket("/ws/routes/{name}")
async def greeter(ws: WebSocket, name: str) -> None:
    if name == "nobody":
        return  # never accepts: the handshake is refused
    await ws.accept(headers={"x-greeted": name})
    await ws.send_json({"hello": name})
    async for data in ws.iter_json():
        await ws.send_json({"echo": data}, mode="binary")


@require_websocket
def sync_upper(request: Request) -> None:
    """A sync dwebsocket view: it runs in a thread of its own."""
    for message in request.websocket:
        request.websocket.send(message.upper())


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@require_websocket
def sync_loop_probe(request: Request) -> None:
    """async_to_sync from the view's thread must reach the connection's loop, which must be running."""
    message = request.websocket.wait()
    same = async_to_sync(_running_loop)() is current_loop()
    time.sleep(0.05)  # the test is blocked in receive meanwhile: the loop must keep serving
    request.websocket.send(f"{message}: same loop {same}")


@accept_websocket
async def async_lower(request: Request) -> HttpResponse | None:
    if not request.is_websocket():
        return PlainTextResponse("plain")
    async for message in request.websocket:
        await request.websocket.send(message.lower())
    return None


urlpatterns = [
    path("/ws/echo", Echo),
    path("/ws/details/<int:room>", Details),
    path("/ws/quiet", Echo.as_view(RECEIVE_TIMEOUT=0.2)),
    path("/ws/small", Echo.as_view(MAX_FRAME_SIZE=16)),
    greeter,
    path("/dws/upper", sync_upper),
    path("/dws/loop", sync_loop_probe),
    path("/dws/lower", async_lower),
    path("/set-cookie", lambda request: _cookie_response()),
]


def _cookie_response() -> HttpResponse:
    response = PlainTextResponse("set")
    response.set_cookie("flavour", "mallard")
    return response


@pytest.fixture(autouse=True)
def probe_routes():
    with override_settings(ROOT_URLCONF=urlpatterns, WEBSOCKET_ALLOWED_ORIGINS=[], WEBSOCKET_REQUIRE_ORIGIN=False):
        yield


@pytest.fixture
def client():
    with Client() as client:
        yield client


def refused(client: Client, path: str, **options: Any) -> WebSocketRejected:
    """The refusal the server answers a handshake to ``path`` with (the test fails if it accepts)."""
    with pytest.raises(WebSocketRejected) as caught, client.websocket_connect(path, timeout=WAIT, **options):
        pass  # pragma: no cover - not reached: entering raises
    return caught.value


# -- the sync client ------------------------------------------------------------------------------------
def test_text_and_binary_echo(client):
    with client.websocket_connect("/ws/echo", timeout=WAIT) as ws:
        ws.send_text("héllo")
        assert ws.receive_text() == "echo: héllo"
        ws.send_bytes(b"\x01\x02\x03")
        assert ws.receive_bytes() == b"\x03\x02\x01"
        ws.send_text("again")
        message = ws.receive()
        assert (message.opcode, message.text) == (OpCode.TEXT, "echo: again")
        assert ws.close_code is None
    assert ws.closed and ws.close_code == 1000


def test_subprotocol_is_the_servers_first_choice_among_those_offered(client):
    with client.websocket_connect("/ws/echo", subprotocols=["chat.v1", "chat.v2"], timeout=WAIT) as ws:
        assert ws.subprotocol == "chat.v2"
    with client.websocket_connect("/ws/echo", subprotocols=["other"], timeout=WAIT) as ws:
        assert ws.subprotocol is None  # RFC 6455 §4.2.2: none agreed, the handshake still succeeds


def test_cross_site_origin_is_refused_with_403_and_its_body(client):
    refusal = refused(client, "/ws/echo", headers={"origin": "https://evil.example"})
    assert refusal.status_code == 403
    assert "Cross-origin WebSocket connection refused." in refusal.text
    assert "403 Forbidden" in str(refusal)


def test_same_site_origin_and_allowed_origins_are_accepted(client):
    with client.websocket_connect("/ws/echo", headers={"origin": "http://testserver"}, timeout=WAIT) as ws:
        ws.send_text("ok")
        assert ws.receive_text() == "echo: ok"
    with (
        override_settings(WEBSOCKET_ALLOWED_ORIGINS=["https://app.example"]),
        client.websocket_connect("/ws/echo", headers={"origin": "https://app.example"}, timeout=WAIT) as ws,
    ):
        assert ws.subprotocol is None


def test_unknown_path_is_refused_with_404(client):
    assert refused(client, "/ws/nowhere").status_code == 404


def test_server_close_code_and_reason_reach_receive_after_earlier_messages(client):
    with client.websocket_connect("/ws/echo", timeout=WAIT) as ws:
        ws.send_text("close")
        assert ws.receive_text() == "closing"  # sent before the close: still delivered
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive_text()
        assert (caught.value.code, caught.value.reason) == (4001, "asked to")
        assert (ws.close_code, ws.close_reason) == (4001, "asked to")
        with pytest.raises(ConnectionClosed):  # and it stays closed, for receives and sends
            ws.receive()
        with pytest.raises(ConnectionClosed):
            ws.send_text("too late")


def test_receive_timeout_raises_quickly_and_names_what_was_awaited(client):
    with client.websocket_connect("/ws/echo", timeout=WAIT) as ws:
        started = time.monotonic()
        with pytest.raises(WebSocketTimeout, match=r"receive_text\(\) on /ws/echo.*0.05") as caught:
            ws.receive_text(timeout=0.05)
        assert time.monotonic() - started < 1.0
        assert isinstance(caught.value, TimeoutError)
        ws.send_text("still usable")  # a timeout does not end the session
        assert ws.receive_text() == "echo: still usable"


def test_handler_error_closes_with_1011(client, caplog):
    with client.websocket_connect("/ws/echo", timeout=WAIT) as ws:
        ws.send_text("boom")
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive_text()
    assert caught.value.code == 1011
    assert "on_receive() raised" in caplog.text


def test_view_receive_timeout_closes_with_1001(client):
    with client.websocket_connect("/ws/quiet", timeout=WAIT) as ws, pytest.raises(WebSocketDisconnect) as caught:
        ws.receive_text()
    assert (caught.value.code, caught.value.reason) == (1001, "receive timeout")


def test_message_above_max_frame_size_closes_with_1009(client):
    with client.websocket_connect("/ws/small", timeout=WAIT) as ws:
        ws.send_bytes(b"x" * 17)
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive_bytes()
    assert caught.value.code == 1009


def test_request_carries_path_params_query_headers_cookies(client):
    client.get("/set-cookie")
    with client.websocket_connect("/ws/details/7?q=duck", headers={"x-token": "t0k"}, timeout=WAIT) as ws:
        assert ws.receive_json() == {
            "path": "/ws/details/7",
            "q": "duck",
            "room": 7,
            "cookie": "mallard",
            "token": "t0k",
            "secure": False,
            "client": ["127.0.0.1", 50000],
        }
        ws.send_json({"ok": [1, "é"]})
        assert ws.receive_json() == {"ok": [1, "é"]}
    with client.websocket_connect("wss://testserver/ws/details/1", timeout=WAIT) as ws:
        assert ws.receive_json()["secure"] is True


def test_client_close_code_reaches_the_server(client):
    with client.websocket_connect("/ws/echo", timeout=WAIT) as ws:
        ws.close(4002, "done here")
        assert (ws.close_code, ws.close_reason) == (4002, "done here")
        with pytest.raises(ConnectionClosed):
            ws.send_text("after close")
        ws.close()  # closing twice is harmless


def test_websocket_decorator_route_with_accept_headers_and_json(client):
    with client.websocket_connect("/ws/routes/daisy", timeout=WAIT) as ws:
        assert ws.headers["x-greeted"] == "daisy"
        assert ws.receive_json() == {"hello": "daisy"}
        ws.send_json([1, 2])
        assert ws.receive_json(mode="binary") == {"echo": [1, 2]}
        with pytest.raises(TypeError, match="binary"):
            ws.send_json([3])
            ws.receive_text()


def test_handler_that_never_accepts_is_refused_with_403(client):
    assert refused(client, "/ws/routes/nobody").status_code == 403


def test_sync_dwebsocket_view_runs_in_its_thread(client):
    with client.websocket_connect("/dws/upper", timeout=WAIT) as ws:
        for word in ("quack", "Mallard"):
            ws.send_text(word)
            assert ws.receive_text() == word.upper()


def test_sync_view_thread_reaches_a_running_loop_between_test_calls(client):
    with client.websocket_connect("/dws/loop", timeout=WAIT) as ws:
        ws.send_text("probe")
        assert ws.receive_text() == "probe: same loop True"


def test_plain_requests_still_work_around_and_during_sessions(client):
    assert client.get("/dws/lower").text == "plain"
    with client.websocket_connect("/dws/lower", timeout=WAIT) as ws:
        assert client.get("/dws/lower").text == "plain"
        ws.send_text("LoWeR")
        assert ws.receive_text() == "lower"
    assert client.get("/dws/upper").status_code == 400  # require_websocket: plain HTTP refused


def test_using_a_session_outside_its_block_is_an_error(client):
    session = client.websocket_connect("/ws/echo")
    with pytest.raises(RuntimeError, match="before the session is open"):
        session.send_text("x")


def test_client_close_ends_a_forgotten_session():
    client = Client()
    session = client.websocket_connect("/ws/echo", timeout=WAIT).__enter__()
    client.close()
    assert session.closed and session.close_code == 1000


# -- the seed examples, as they are ---------------------------------------------------------------------
def test_duck_echo_example(client, capsys):
    with (
        override_settings(ROOT_URLCONF="examples.duck_echo.urls"),
        client.websocket_connect("/ws/myws", timeout=WAIT) as ws,
    ):
        ws.send_text("hello")
        assert ws.receive_text() == "You sent hello"
        ws.send_bytes(b"\x00")  # binary frames are ignored
        with pytest.raises(WebSocketTimeout):
            ws.receive(timeout=0.05)
    assert "WebSocket connection established" in capsys.readouterr().out


def test_duck_chat_example_broadcasts_to_the_others(client):
    with (
        override_settings(ROOT_URLCONF="examples.duck_chat.urls"),
        client.websocket_connect("/ws/chat", timeout=WAIT) as alice,
    ):
        assert alice.receive_text() == "👋 Welcome to the chat!"
        with client.websocket_connect("/ws/chat", timeout=WAIT) as bob:
            assert bob.receive_text() == "👋 Welcome to the chat!"
            alice.send_text("hi bob")
            assert bob.receive_text() == "User: hi bob"
            with pytest.raises(WebSocketTimeout):
                alice.receive_text(timeout=0.05)  # not sent back to its author


async def test_duck_notifications_example_push_task_ends_with_the_connection():
    with override_settings(ROOT_URLCONF="examples.duck_notifications.urls"):
        async with AsyncClient().websocket_connect("/ws/notifications", timeout=WAIT) as ws:
            with pytest.raises(WebSocketTimeout, match="receive_text"):
                await ws.receive_text(timeout=0.05)  # the first notification is 5 s away
            others = asyncio.all_tasks() - {asyncio.current_task()}
            assert any("push_notifications" in repr(task.get_coro()) for task in others)
    # create_task tied the push loop to the connection: closing it cancelled the task.
    pushing = [t for t in asyncio.all_tasks() if "push_notifications" in repr(t.get_coro())]
    if pushing:
        await asyncio.wait(pushing, timeout=WAIT)
    assert all(task.cancelled() for task in pushing)


# -- the async client -----------------------------------------------------------------------------------
async def test_async_session_echo_subprotocol_and_close():
    client = AsyncClient()
    async with client.websocket_connect("/ws/echo", subprotocols=["chat.v1"], timeout=WAIT) as ws:
        assert ws.subprotocol == "chat.v1"
        await ws.send_text("hi")
        assert await ws.receive_text() == "echo: hi"
        await ws.send_text("close")
        assert await ws.receive_text() == "closing"
        with pytest.raises(WebSocketDisconnect) as caught:
            await ws.receive_text()
    assert caught.value.code == ws.close_code == 4001


async def test_async_session_refusal_and_timeout():
    client = AsyncClient()
    session = client.websocket_connect("/ws/echo", headers={"origin": "http://evil.example"}, timeout=WAIT)
    with pytest.raises(WebSocketRejected) as caught:
        await session.__aenter__()
    assert caught.value.status_code == 403
    async with client.websocket_connect("/dws/lower", timeout=WAIT) as ws:
        started = time.monotonic()
        with pytest.raises(WebSocketTimeout, match=r"receive_bytes\(\)"):
            await ws.receive_bytes(timeout=0.05)
        assert time.monotonic() - started < 1.0


# -- the ASGI seam itself: applications that misbehave -------------------------------------------------
class RawHandler:
    """A dispatcher whose only route is the ASGI application ``app``, behind an UpgradeResponse."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def handle(self, request: Request) -> HttpResponse:
        return UpgradeResponse(StubUpgrade(run_asgi=self.app))


async def _accept_and_leave(scope, receive, send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "bytes": b"bye"})


async def _accept_then_crash(scope, receive, send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise LookupError("the application broke")


async def _never_answers(scope, receive, send) -> None:
    await receive()
    await asyncio.sleep(60)


async def _silent(scope, receive, send) -> None:
    await receive()


async def _close_before_accept(scope, receive, send) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 1008})


def test_application_returning_without_close_is_an_abnormal_closure():
    with Client(RawHandler(_accept_and_leave)) as client, client.websocket_connect("/x", timeout=WAIT) as ws:
        assert ws.receive_bytes() == b"bye"
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
    assert caught.value.code == 1006


def test_application_error_is_raised_in_the_test():
    with Client(RawHandler(_accept_then_crash)) as client, client.websocket_connect("/x", timeout=WAIT) as ws:
        ws.send_text("trigger")
        with pytest.raises(LookupError, match="the application broke"):
            ws.receive()


def test_handshake_that_never_completes_times_out():
    with Client(RawHandler(_never_answers)) as client:
        started = time.monotonic()
        with pytest.raises(WebSocketTimeout, match="neither accepted nor refused"):
            client.websocket_connect("/x", timeout=0.1).__enter__()
        assert time.monotonic() - started < 1.0


def test_close_before_accept_is_a_403_refusal_with_the_close_code():
    with Client(RawHandler(_close_before_accept)) as client:
        refusal = refused(client, "/x")
    assert (refusal.status_code, refusal.close_code) == (403, 1008)


async def test_async_session_with_sync_dwebsocket_views():
    client = AsyncClient()
    async with client.websocket_connect("/dws/upper", timeout=WAIT) as ws:
        await ws.send_text("quack")
        assert await ws.receive_text() == "QUACK"
    async with client.websocket_connect("/dws/loop", timeout=WAIT) as ws:
        await ws.send_text("probe")
        assert await ws.receive_text() == "probe: same loop True"


def test_application_ending_without_answering_is_a_500_refusal():
    with Client(RawHandler(_silent)) as client:
        assert refused(client, "/x").status_code == 500


async def test_a_forgotten_sync_client_collected_inside_a_running_loop_closes_quietly():
    import gc

    def forget() -> None:
        client = Client()
        client._get_loop()  # a loop of its own, never closed by the test

    forget()
    gc.collect()  # its finalizer runs here, on a thread whose loop is running
