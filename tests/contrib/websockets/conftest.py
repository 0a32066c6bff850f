"""WebSocket tests run with keepalive pings off and compression on, unless a test says otherwise."""

from __future__ import annotations

import pytest

from duck.conf import settings


@pytest.fixture(autouse=True)
def websocket_settings():
    with settings.override(
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        WEBSOCKET_PING_INTERVAL=None,
        WEBSOCKET_PING_TIMEOUT=None,
        WEBSOCKET_COMPRESSION=True,
        WEBSOCKET_CLOSE_TIMEOUT=1.0,
        WEBSOCKET_ALLOWED_ORIGINS=[],
        WEBSOCKET_REQUIRE_ORIGIN=False,
    ):
        yield
