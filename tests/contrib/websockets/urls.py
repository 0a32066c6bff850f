"""Routes for dispatcher-level WebSocket tests (classes registered directly, as in the seeds)."""

from __future__ import annotations

from duck.urls import path
from tests.contrib.websockets.views import MyWebSocket, Recorder

urlpatterns = [
    path("/ws/myws", MyWebSocket, name="mywebsocket"),
    path("/ws/rooms/<int:room>", Recorder, name="room"),
]
