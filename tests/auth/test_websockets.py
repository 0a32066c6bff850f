"""request.session and request.user on WebSocket handshakes: LOGIN_REQUIRED, authorize(), the three faces."""

from __future__ import annotations

import pytest

from duck.auth import create_token, create_user
from duck.test import Client, WebSocketRejected
from tests.auth.test_login import log_in


def test_every_face_sees_the_logged_in_user_and_the_session(accounts):
    create_user("ann", "correct horse")
    with Client() as client:
        log_in(client, "ann", "correct horse")
        client.get("/counter")
        with client.websocket_connect("/ws/who") as ws:
            assert ws.receive_text() == "hello ann count=1"
        with client.websocket_connect("/ws/dweb") as ws:
            assert ws.receive_text() == "dweb ann"
        with client.websocket_connect("/ws/routed") as ws:
            assert ws.receive_text() == "routed ann 1"
        with client.websocket_connect("/ws/open") as ws:
            assert ws.receive_text() == "user=ann auth=session count=1"


@pytest.mark.parametrize("path", ["/ws/who", "/ws/dweb", "/ws/routed", "/ws/admin"])
def test_anonymous_handshakes_are_refused_with_401_before_accepting(accounts, path):
    with Client() as client, pytest.raises(WebSocketRejected) as refused, client.websocket_connect(path):
        pass
    assert refused.value.status_code == 401
    assert refused.value.headers["www-authenticate"].startswith("Bearer")


def test_authorize_refuses_with_403(accounts):
    create_user("ann", "correct horse")
    create_user("root", "correct horse", is_staff=True)
    with Client() as client:
        log_in(client, "ann", "correct horse")
        with pytest.raises(WebSocketRejected) as refused, client.websocket_connect("/ws/admin"):
            pass
        assert refused.value.status_code == 403
    with Client() as client:
        log_in(client, "root", "correct horse")
        with client.websocket_connect("/ws/admin") as ws:
            assert ws.receive_text() == "welcome, staff"


def test_bearer_tokens_open_websockets_for_non_browser_clients(accounts):
    token = create_token(create_user("bot", "correct horse"))
    with Client() as client, client.websocket_connect("/ws/open", headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.receive_text() == "user=bot auth=token count=None"


def test_anonymous_sockets_see_an_anonymous_user(accounts):
    with Client() as client, client.websocket_connect("/ws/open") as ws:
        assert ws.receive_text() == "user=- auth=None count=None"
