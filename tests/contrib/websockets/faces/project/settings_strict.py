"""The faces project with two sync WebSocket threads at most and WEBSOCKET_ACCEPT_ALL on."""

from __future__ import annotations

from tests.contrib.websockets.faces.project.settings import *  # noqa: F403

# Two, so that the third sync WebSocket view is refused with 503.
WEBSOCKET_SYNC_THREADS = 2
# dwebsocket's "every view accepts WebSockets" (with WebSocketMiddleware, in MIDDLEWARE).
WEBSOCKET_ACCEPT_ALL = True
