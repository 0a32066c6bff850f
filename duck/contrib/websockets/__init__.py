"""WebSockets for duck (RFC 6455, with permessage-deflate from RFC 7692).

``WebSocketView`` is the class-based face; ``accept_websocket``/``require_websocket`` the
dwebsocket face (:mod:`.dwebsocket`); ``@websocket`` + ``WebSocket`` the Starlette/Ravyn face
(:mod:`.routing`); every face talks to one
:class:`WebSocketConnection` interface, implemented over duck's own server
(:mod:`.protocol`) and over ASGI (:mod:`.asgi`). The wire protocol itself is done by the
``websockets`` library's sans-I/O core. :mod:`.groups` broadcasts to many connections, in one
process (memory) or across processes and machines (Redis).
"""

from __future__ import annotations

from duck.contrib.websockets import groups
from duck.contrib.websockets.connection import Message, PreparedFrame, WebSocketConnection
from duck.contrib.websockets.dwebsocket import accept_websocket, require_websocket
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.contrib.websockets.routing import WebSocket, WebSocketDisconnect, WebSocketRoute, WebSocketState, websocket
from duck.contrib.websockets.views import WebSocketView

__all__ = [
    "CloseCode",
    "Message",
    "OpCode",
    "PreparedFrame",
    "WebSocket",
    "WebSocketConnection",
    "WebSocketDisconnect",
    "WebSocketRoute",
    "WebSocketState",
    "WebSocketView",
    "accept_websocket",
    "groups",
    "require_websocket",
    "websocket",
]
