"""Routes of the ASGI interop project: the seeds' example and a route that reports its handshake."""

from __future__ import annotations

from typing import ClassVar

from duck.contrib.websockets import WebSocketView
from duck.urls import path
from tests.contrib.websockets.views import MyWebSocket


class Handshake(WebSocketView):
    """Sends what the handshake settled (subprotocol, path parameter, query), then echoes binary."""

    SUBPROTOCOLS: ClassVar[list[str]] = ["chat.v2", "chat.v1"]
    MAX_FRAME_SIZE = 1000

    async def on_open(self) -> None:
        await self.send_json(
            {"subprotocol": self.subprotocol, "room": self.kwargs["room"], "q": self.request.GET.get("q")}
        )

    async def on_receive(self, data: bytes, opcode: int) -> None:
        await self.send_binary(data)


urlpatterns = [
    path("/ws/myws", MyWebSocket, name="mywebsocket"),
    path("/ws/rooms/<int:room>", Handshake, name="room"),
]
