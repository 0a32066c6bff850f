"""Testing duck projects: in-process clients and settings overrides.

::

    from duck.test import AsyncClient, Client, override_settings

    with Client().websocket_connect("/ws/myws") as ws:   # WebSockets too, in-process
        ws.send_text("hello")
"""

from __future__ import annotations

from duck.test.client import AsyncClient, BaseClient, Client, TooManyRedirects
from duck.test.cookies import CookieJar
from duck.test.encoding import encode_json, encode_multipart, encode_urlencoded
from duck.test.response import TestResponse
from duck.test.utils import override_settings, setup_test_environment, teardown_test_environment
from duck.test.websocket import AsyncWebSocketSession, WebSocketRejected, WebSocketSession, WebSocketTimeout

__all__ = [
    "AsyncClient",
    "AsyncWebSocketSession",
    "BaseClient",
    "Client",
    "CookieJar",
    "TestResponse",
    "TooManyRedirects",
    "WebSocketRejected",
    "WebSocketSession",
    "WebSocketTimeout",
    "encode_json",
    "encode_multipart",
    "encode_urlencoded",
    "override_settings",
    "setup_test_environment",
    "teardown_test_environment",
]
