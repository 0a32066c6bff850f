"""The ASGI front door, driven in-process with hand-made scopes and receive/send callables."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from duck.asgi import (
    UPGRADE_NOT_OFFERED_MESSAGE,
    WEBSOCKET_DENIED_CLOSE_CODE,
    ASGIHandler,
    get_asgi_application,
    request_from_scope,
)
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse
from duck.test import encode_multipart, override_settings
from tests.apps.sample import views

# Every exchange is bounded: a front door that waits for a message that never comes fails fast.
TIMEOUT = 5.0


class Peer:
    """The server side of one ASGI exchange: queued incoming messages, recorded outgoing ones."""

    def __init__(self, *incoming: dict[str, Any]) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in incoming:
            self.queue.put_nowait(message)
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        return await self.queue.get()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def start(self) -> dict[str, Any]:
        assert self.sent[0]["type"] == "http.response.start"
        return self.sent[0]

    @property
    def status(self) -> int:
        return self.start["status"]

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.start["headers"])

    @property
    def body_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == "http.response.body"]

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.body_messages)


def http_scope(method: str = "GET", path: str = "/hello", query: bytes = b"", headers: Any = None, **extra: Any):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    scope.update(extra)
    return scope


async def run(scope: dict[str, Any], peer: Peer, app: Any = None) -> Peer:
    await asyncio.wait_for((app or get_asgi_application())(scope, peer.receive, peer.send), TIMEOUT)
    return peer


async def http(method: str = "GET", path: str = "/hello", body: bytes = b"", **kwargs: Any) -> Peer:
    return await run(http_scope(method, path, **kwargs), Peer({"type": "http.request", "body": body}))


# -- http routes --------------------------------------------------------------------------------------
async def test_sync_view_status_headers_and_body():
    peer = await http("GET", "/hello")
    assert peer.status == 200
    assert peer.start["headers"] == [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"12")]
    assert peer.body_messages == [{"type": "http.response.body", "body": b"Hello, duck!", "more_body": False}]


async def test_decoded_path_and_latin1_query_reach_the_view():
    assert (await http("GET", "/greet/café")).body == "Hello, café!".encode()
    peer = await http("GET", "/echo", query=b"q=%C3%A9&r=1")
    assert b'"query":{"q":"\xc3\xa9","r":"1"}' in peer.body


async def test_async_view_with_int_param():
    assert (await http("GET", "/items/5")).body == b'{"id":5,"type":"int"}'


async def test_class_based_view_post_with_form():
    peer = await http(
        "POST", "/things", b"name=Daisy", headers=[(b"content-type", b"application/x-www-form-urlencoded")]
    )
    assert (peer.status, peer.body) == (201, b'{"created":{"name":"Daisy"}}')


async def test_json_echo():
    peer = await http("POST", "/echo-json", b"[1,2]", headers=[(b"content-type", b"application/json")])
    assert peer.body == b'{"received":[1,2]}'


async def test_multipart_upload_split_across_messages():
    body, content_type = encode_multipart({"title": "T"}, {"file": ("d.txt", b"quack" * 1000)})
    pieces = [body[i : i + 700] for i in range(0, len(body), 700)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    scope = http_scope("POST", "/upload", headers=[(b"content-type", content_type.encode())])
    peer = await run(scope, Peer(*messages))
    assert b'"name":"d.txt","size":5000' in peer.body


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/boom", 500), ("/nowhere", 404)])
async def test_errors_keep_their_status_and_hide_internals(path, status):
    peer = await http("GET", path)
    assert peer.status == status
    assert b"secret internals" not in peer.body


async def test_wrong_method_is_405_with_allow():
    peer = await http("POST", "/only-get")
    assert (peer.status, peer.headers[b"allow"]) == (405, b"GET, HEAD")


async def test_head_sends_headers_only():
    peer = await http("HEAD", "/hello")
    assert peer.headers[b"content-length"] == b"12"
    assert peer.body_messages == [{"type": "http.response.body", "body": b"", "more_body": False}]


async def test_cookie_and_redirect_headers():
    assert b"; Max-Age=3600; " in (await http("GET", "/cookies/set")).headers[b"set-cookie"]
    redirect = await http("GET", "/old")
    assert (redirect.status, redirect.headers[b"location"]) == (302, b"/hello")


async def test_upgrade_header_on_an_http_scope_is_501():
    peer = await http("GET", "/ws/plain", headers=[(b"upgrade", b"websocket"), (b"connection", b"Upgrade")])
    assert (peer.status, peer.body.decode()) == (501, UPGRADE_NOT_OFFERED_MESSAGE)


# -- streaming and disconnects ----------------------------------------------------------------------
async def test_stream_is_sent_as_chunks_with_more_body():
    peer = await http("GET", "/stream")
    assert b"content-length" not in peer.headers
    assert [(m["body"], m["more_body"]) for m in peer.body_messages] == [
        (b"chunk 0\n", True),
        (b"chunk 1\n", True),
        (b"chunk 2\n", True),
        (b"", False),
    ]


async def test_disconnect_mid_stream_stops_the_stream():
    before = len(views.TICKS_FINISHED)
    peer = Peer({"type": "http.request", "body": b""})
    original_send = peer.send

    async def send(message: dict[str, Any]) -> None:
        await original_send(message)
        if len(peer.body_messages) == 3:
            peer.queue.put_nowait({"type": "http.disconnect"})  # the client leaves after three chunks

    peer.send = send  # type: ignore[method-assign]
    await run(http_scope("GET", "/ticks"), peer)  # returns although the stream is endless
    assert 3 <= len(peer.body_messages) <= 4
    assert all(m["more_body"] for m in peer.body_messages)  # never claimed to be complete
    assert len(views.TICKS_FINISHED) == before + 1  # the generator's cleanup ran


async def test_send_failing_mid_stream_is_treated_as_a_disconnect():
    before = len(views.TICKS_FINISHED)
    peer = Peer({"type": "http.request", "body": b""})
    original_send = peer.send

    async def send(message: dict[str, Any]) -> None:
        if len(peer.body_messages) == 2:
            raise ConnectionResetError("client went away")
        await original_send(message)

    peer.send = send  # type: ignore[method-assign]
    await run(http_scope("GET", "/ticks"), peer)
    assert len(peer.body_messages) == 2
    assert len(views.TICKS_FINISHED) == before + 1


async def test_disconnect_while_reading_the_body_sends_nothing():
    peer = Peer({"type": "http.request", "body": b"part", "more_body": True}, {"type": "http.disconnect"})
    await run(http_scope("POST", "/echo"), peer)
    assert peer.sent == []


# -- body limits -------------------------------------------------------------------------------
async def test_declared_body_above_the_limit_is_refused_before_reading():
    peer = Peer()  # nothing to receive: reading would hang until the timeout
    await run(http_scope("POST", "/echo", headers=[(b"content-length", b"1000001")]), peer)
    assert peer.status == 413
    assert b"SERVER_MAX_BODY_SIZE" in peer.body


@override_settings(SERVER_MAX_BODY_SIZE=10)
async def test_chunked_body_is_refused_once_it_passes_the_limit():
    messages = [{"type": "http.request", "body": b"123456", "more_body": True} for _ in range(2)]
    peer = await run(http_scope("POST", "/echo"), Peer(*messages))  # the third message is never read
    assert peer.status == 413


async def test_malformed_content_length_is_400():
    peer = await http("POST", "/echo", headers=[(b"content-length", b"12a")])
    assert peer.status == 400


# -- scope → Request ---------------------------------------------------------------------------
def test_request_from_scope_maps_every_field():
    scope = http_scope(
        "PUT",
        "/app/items/é",
        query=b"a=%C3%A9",
        headers=[(b"content-type", b"text/plain"), (b"x-thing", b"\xe9")],
        root_path="/app",
        scheme="https",
        http_version="2",
        client=["10.0.0.7", 5123],
    )
    request = request_from_scope(scope, b"data")
    assert (request.method, request.path, request.root_path) == ("PUT", "/items/é", "/app")
    assert request.query_string == "a=%C3%A9"
    assert request.headers["x-thing"] == "é"  # latin-1, the wire encoding
    assert request._body == b"data"
    assert (request.client, request.server) == (("10.0.0.7", 5123), ("127.0.0.1", 8000))
    assert (request.scheme, request.http_version) == ("https", "2")


def test_root_path_is_stripped_only_on_a_segment_boundary():
    assert request_from_scope(http_scope(path="/app", root_path="/app")).path == "/"
    assert request_from_scope(http_scope(path="/hello", root_path="/app")).path == "/hello"
    assert request_from_scope(http_scope(path="/application", root_path="/app")).path == "/application"


def test_unix_socket_server_has_no_address():
    assert request_from_scope(http_scope(server=["/run/duck.sock", None], client=None)).server is None


async def test_app_mounted_under_a_root_path_routes_the_same():
    peer = await run(http_scope("GET", "/app/hello", root_path="/app"), Peer({"type": "http.request"}))
    assert peer.body == b"Hello, duck!"


class RecordingHandler:
    """A stand-in dispatcher recording the order in which request and response are released."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    async def handle(self, request: Request) -> HttpResponse:
        request.close = lambda: self.closed.append("request")  # type: ignore[method-assign]
        response = PlainTextResponse("ok")
        response.close = lambda: self.closed.append("response")  # type: ignore[method-assign]
        return response


async def test_response_and_request_are_closed_after_sending():
    handler = RecordingHandler()
    await run(http_scope(), Peer({"type": "http.request"}), app=ASGIHandler(handler))  # type: ignore[arg-type]
    assert handler.closed == ["response", "request"]


async def test_unknown_scope_type_raises():
    with pytest.raises(ValueError, match="'telepathy'"):
        await get_asgi_application()({"type": "telepathy"}, Peer().receive, Peer().send)


# -- lifespan --------------------------------------------------------------------------------------
def lifespan_peer() -> Peer:
    return Peer({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})


async def test_lifespan_startup_and_shutdown_run_hooks_in_order():
    calls: list[str] = []

    async def open_pool() -> None:
        calls.append("async startup")

    app = get_asgi_application(
        on_startup=[lambda: calls.append("sync startup"), open_pool], on_shutdown=[lambda: calls.append("shutdown")]
    )
    peer = await run({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_peer(), app)
    assert [m["type"] for m in peer.sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["sync startup", "async startup", "shutdown"]


async def test_lifespan_startup_failure_is_reported_with_the_message(caplog):
    def fail() -> None:
        raise RuntimeError("database is down")

    with caplog.at_level(logging.CRITICAL, logger="duck.asgi"):
        peer = await run({"type": "lifespan"}, lifespan_peer(), get_asgi_application(on_startup=[fail]))
    assert peer.sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: database is down"}]


@override_settings(ROOT_URLCONF="tests.apps.sample.no_such_urls")
async def test_lifespan_startup_fails_on_a_broken_url_conf(caplog):
    """The URL conf broke after get_asgi_application() (which checks it too): the startup says so."""
    with caplog.at_level(logging.CRITICAL, logger="duck.asgi"):
        peer = await run({"type": "lifespan"}, lifespan_peer(), ASGIHandler())
    assert peer.sent[0]["type"] == "lifespan.startup.failed"
    assert "ImproperlyConfigured" in peer.sent[0]["message"]
    assert "tests.apps.sample.no_such_urls" in peer.sent[0]["message"]


@override_settings(ROOT_URLCONF="tests.apps.sample.no_such_urls")
def test_get_asgi_application_refuses_a_broken_url_conf():
    with pytest.raises(ImproperlyConfigured, match="no_such_urls"):
        get_asgi_application()


async def test_lifespan_shutdown_failure_is_reported(caplog):
    def fail() -> None:
        raise OSError("flush failed")

    with caplog.at_level(logging.CRITICAL, logger="duck.asgi"):
        peer = await run({"type": "lifespan"}, lifespan_peer(), get_asgi_application(on_shutdown=[fail]))
    assert peer.sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.failed", "message": "OSError: flush failed"},
    ]


# -- websocket ---------------------------------------------------------------------------------------
def websocket_scope(path: str, headers: Any = None, **extra: Any) -> dict[str, Any]:
    scope = http_scope("GET", path, headers=headers, type="websocket", scheme="ws", subprotocols=[])
    del scope["method"]
    scope.update(extra)
    return scope


async def test_the_upgrade_runs_the_websocket_connection():
    upgrade = [(b"upgrade", b"websocket"), (b"connection", b"Upgrade"), (b"sec-websocket-version", b"13")]
    peer = await run(websocket_scope("/ws/hello", headers=upgrade), Peer({"type": "websocket.connect"}))
    assert peer.sent == [
        {"type": "websocket.accept"},
        {"type": "websocket.send", "text": "hello /ws/hello"},
        {"type": "websocket.close", "code": 1000},
    ]


async def test_websocket_scope_without_upgrade_headers_still_reaches_the_websocket_view():
    # The view answers 426 unless request.is_websocket(): the front door adds the missing headers.
    peer = await run(websocket_scope("/ws/hello"), Peer({"type": "websocket.connect"}))
    assert peer.sent[0] == {"type": "websocket.accept"}


async def test_websocket_to_a_plain_route_is_refused_with_a_close():
    peer = await run(websocket_scope("/hello"), Peer({"type": "websocket.connect"}))
    assert peer.sent == [{"type": "websocket.close", "code": WEBSOCKET_DENIED_CLOSE_CODE}]


async def test_websocket_to_a_plain_route_is_closed_even_with_the_http_response_extension():
    scope = websocket_scope("/hello", extensions={"websocket.http.response": {}})
    peer = await run(scope, Peer({"type": "websocket.connect"}))
    assert peer.sent == [{"type": "websocket.close", "code": WEBSOCKET_DENIED_CLOSE_CODE}]


async def test_websocket_error_is_sent_as_http_when_the_server_supports_it():
    scope = websocket_scope("/missing", extensions={"websocket.http.response": {}})
    peer = await run(scope, Peer({"type": "websocket.connect"}))
    assert peer.sent[0]["type"] == "websocket.http.response.start"
    assert peer.sent[0]["status"] == 404
    assert b"No such duck." in peer.sent[1]["body"]


async def test_websocket_client_leaving_before_connect_gets_nothing():
    peer = await run(websocket_scope("/hello"), Peer({"type": "websocket.disconnect", "code": 1006}))
    assert peer.sent == []
