"""The opening handshake: checks before switching (RFC 6455 §4.2.1-§4.2.2, §10.2) and negotiation."""

from __future__ import annotations

import base64
import logging

import pytest

from duck.conf import settings
from duck.contrib.websockets.upgrade import WebSocketUpgrade
from duck.core.handler import Handler
from duck.exceptions import HttpError, InvalidHandshake, PermissionDenied, UpgradeRequired
from duck.http.datastructures import Headers
from duck.http.request import Request
from duck.http.response import UpgradeResponse
from tests.contrib.websockets.helpers import Log, open_session, plain_request, ws_request
from tests.contrib.websockets.views import Chat, Recorder

URLCONF = "tests.contrib.websockets.urls"


def upgrade_headers(**overrides: str | None) -> list[tuple[str, str]]:
    fields = {
        "host": "testserver",
        "upgrade": "websocket",
        "connection": "keep-alive, Upgrade",
        "sec-websocket-key": base64.b64encode(b"0123456789abcdef").decode(),
        "sec-websocket-version": "13",
    }
    fields.update(overrides)
    return [(name, value) for name, value in fields.items() if value is not None]


def request_with(method: str = "GET", **overrides: str | None) -> Request:
    return Request(method, "/ws", headers=Headers(upgrade_headers(**overrides)))


async def dispatch(request: Request):
    with settings.override(ROOT_URLCONF=URLCONF, MIDDLEWARE=[]):
        return await Handler().handle(request)


# -- through the dispatcher, as a route registered with path("/ws/myws", MyWebSocket) ---------------
async def test_a_view_class_registered_in_urls_answers_the_upgrade_with_an_upgrade_response():
    request = request_with()
    request.path = "/ws/myws"
    response = await dispatch(request)
    assert isinstance(response, UpgradeResponse)
    assert isinstance(response.upgrade, WebSocketUpgrade)


async def test_plain_get_to_a_websocket_route_is_426_with_upgrade_headers():
    response = await dispatch(plain_request("/ws/myws"))
    assert response.status_code == 426
    assert response["upgrade"] == "websocket"
    assert response["connection"] == "Upgrade"


async def test_unsupported_version_is_426_naming_version_13():
    """RFC 6455 §4.2.2 item 4."""
    request = request_with(**{"sec-websocket-version": "8"})
    request.path = "/ws/myws"
    response = await dispatch(request)
    assert response.status_code == 426
    assert response["sec-websocket-version"] == "13"


async def test_cross_site_origin_is_403_through_the_dispatcher(caplog):
    request = request_with(origin="https://evil.example")
    request.path = "/ws/myws"
    with caplog.at_level(logging.WARNING, logger="duck.security"):
        response = await dispatch(request)
    assert response.status_code == 403
    assert "evil.example" in caplog.text


async def test_path_params_reach_the_view_as_kwargs_and_on_the_request():
    request, _client = ws_request("/ws/rooms/7?name=ann", headers=[("cookie", "sid=abc")])
    with settings.override(ROOT_URLCONF=URLCONF, MIDDLEWARE=[]):
        response = await Handler().handle(request)
    assert isinstance(response, UpgradeResponse)
    instance = response.upgrade.handler.args[0]  # the view instance bound to this connection
    assert instance.kwargs == {"room": 7}
    assert instance.request.path_params == {"room": 7}
    assert instance.request.GET["name"] == "ann" and instance.request.COOKIES["sid"] == "abc"


# -- malformed handshakes: 400 ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "overrides"),
    [
        ("POST", {}),
        ("GET", {"sec-websocket-key": None}),
        ("GET", {"sec-websocket-key": base64.b64encode(b"fifteen bytes!!").decode()}),
        ("GET", {"sec-websocket-key": "not base64 at all!"}),
        ("GET", {"sec-websocket-version": None}),
    ],
    ids=["post", "no-key", "short-key", "garbage-key", "no-version"],
)
async def test_malformed_handshakes_raise_invalid_handshake_400(method, overrides):
    with pytest.raises(InvalidHandshake) as info:
        await Recorder.as_view()(request_with(method, **overrides))
    assert info.value.status_code == 400


async def test_http_10_upgrade_is_400():
    request = request_with()
    request.http_version = "1.0"
    with pytest.raises(InvalidHandshake) as info:
        await Recorder.as_view()(request)
    assert info.value.status_code == 400


async def test_a_malformed_handshake_is_answered_by_the_dispatcher_like_any_http_error():
    request = request_with(**{"sec-websocket-key": "not base64 at all!"})
    request.path = "/ws/myws"
    response = await dispatch(request)
    assert response.status_code == 400
    assert not isinstance(response, UpgradeResponse)
    assert b"Sec-WebSocket-Key" in response.content


def test_invalid_handshake_is_an_http_error_carrying_its_status():
    assert issubclass(InvalidHandshake, HttpError)
    refusal = InvalidHandshake("No.", 426, headers=[("Sec-WebSocket-Version", "13")])
    assert (refusal.status_code, refusal.message, refusal.headers) == (426, "No.", [("Sec-WebSocket-Version", "13")])


async def test_plain_get_raises_upgrade_required_for_the_core_to_answer():
    with pytest.raises(UpgradeRequired) as info:
        await Recorder.as_view()(plain_request())
    assert ("Upgrade", "websocket") in info.value.headers


# -- Origin (RFC 6455 §10.2: cross-site WebSocket hijacking) ------------------------------------
@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        (None, "testserver", "http", True),  # non-browser clients send no Origin
        ("http://testserver", "testserver", "http", True),
        ("http://testserver:80", "testserver", "http", True),
        ("http://testserver:8000", "testserver:8000", "http", True),
        ("http://TestServer", "testserver", "http", True),
        ("http://[::1]:8000", "[::1]:8000", "http", True),
        ("ws://testserver", "testserver", "http", True),
        ("https://testserver", "testserver", "https", True),  # an https page, a wss socket
        ("https://testserver:443", "testserver", "https", True),
        ("wss://testserver", "testserver", "https", True),
        # RFC 6454: scheme, host and port make an origin; http and https are different sites
        ("https://testserver", "testserver", "http", False),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "http", False),
        ("http://testserver", "testserver", "https", False),
        ("http://testserver:8001", "testserver:8000", "http", False),
        ("http://evil.example", "testserver", "http", False),
        ("http://testserver.evil.example", "testserver", "http", False),
        ("ftp://testserver", "testserver", "http", False),
        ("null", "testserver", "http", False),
    ],
)
async def test_origin_same_origin_rule(origin, host, scheme, allowed):
    request = request_with(host=host, origin=origin)
    request.scheme = scheme
    if allowed:
        assert isinstance(await Recorder.as_view()(request), UpgradeResponse)
    else:
        with pytest.raises(PermissionDenied):
            await Recorder.as_view()(request)


async def test_listed_origins_are_allowed_exactly():
    with settings.override(WEBSOCKET_ALLOWED_ORIGINS=["https://app.example.com"]):
        ok = request_with(origin="https://app.example.com")
        assert isinstance(await Recorder.as_view()(ok), UpgradeResponse)
        for other in ("http://app.example.com", "https://app.example.com:8443", "https://example.com"):
            with pytest.raises(PermissionDenied):
                await Recorder.as_view()(request_with(origin=other))


async def test_star_allows_any_origin():
    with settings.override(WEBSOCKET_ALLOWED_ORIGINS=["*"]):
        assert isinstance(await Recorder.as_view()(request_with(origin="https://x.example")), UpgradeResponse)


async def test_require_origin_refuses_clients_without_one():
    with settings.override(WEBSOCKET_REQUIRE_ORIGIN=True):
        with pytest.raises(PermissionDenied):
            await Recorder.as_view()(request_with())
        assert isinstance(await Recorder.as_view()(request_with(origin="http://testserver")), UpgradeResponse)


async def test_two_origin_headers_are_refused():
    request = request_with()
    request.headers.add("origin", "http://testserver")
    request.headers.add("origin", "http://evil.example")
    with pytest.raises(PermissionDenied):
        await Recorder.as_view()(request)


# -- negotiation -------------------------------------------------------------------------------
async def test_101_response_carries_the_accept_key_checked_by_the_client():
    request, client = ws_request()
    session = await open_session(Recorder.as_view(), request, client)
    assert session.response.status_code == 101
    assert session.client.state.name == "OPEN"  # websockets' client validated Sec-WebSocket-Accept
    session.transport.lose()


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["chat.v1", "chat.v2"], "chat.v2"),  # the server's order of preference wins
        (["chat.v1"], "chat.v1"),
        (None, None),  # offered none: accepted without one (RFC 6455 §4.2.2)
    ],
)
async def test_subprotocol_negotiation(offered, chosen):
    log = Log()
    request, client = ws_request(subprotocols=offered)
    session = await open_session(Chat.as_view(log=log), request, client)
    log.transports.append(session.transport)
    await session.transport.wait_for(lambda: ("subprotocol", chosen) in log)
    assert session.client.subprotocol == chosen
    session.transport.lose()


async def test_unknown_subprotocol_gets_no_protocol_header():
    request, _client = ws_request(subprotocols=["mqtt"])
    response = await Chat.as_view()(request)
    protocol = response.upgrade.make_protocol()
    from tests.contrib.websockets.helpers import FakeTransport

    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    await transport.wait_for(lambda: b"\r\n\r\n" in transport.data)
    assert transport.data.startswith(b"HTTP/1.1 101")
    assert b"sec-websocket-protocol" not in transport.data.lower()
    transport.lose()


@pytest.mark.parametrize("enabled", [True, False])
async def test_permessage_deflate_follows_the_setting(enabled):
    with settings.override(WEBSOCKET_COMPRESSION=enabled):
        request, client = ws_request(compression=True)
        session = await open_session(Recorder.as_view(), request, client)
    assert bool(session.client.extensions) is enabled
    assert (b"permessage-deflate" in bytes(session.transport.history)) is enabled
    session.transport.lose()


async def test_as_view_refuses_unknown_attributes():
    from duck.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        Recorder.as_view(NOT_A_KNOB=1)
