"""The reference for bench/ws_bench.py: a Starlette ``WebSocketEndpoint`` that echoes text and bytes.

Served by uvicorn (``uvicorn ws_starlette_app:app --ws websockets``), which does the WebSocket
protocol itself; the endpoint only sees ASGI messages.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


class Echo(WebSocketEndpoint):
    encoding = None  # str for text messages, bytes for binary ones: echo each as it came

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        if isinstance(data, str):
            await websocket.send_text(data)
        else:
            await websocket.send_bytes(data)


app = Starlette(routes=[WebSocketRoute("/ws", Echo)])
