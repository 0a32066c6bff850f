"""Routes of the dwebsocket chat room (views.py, as written in the seed, imports adapted to duck)."""

from duck.urls import path
from examples.dwebsocket_chat.views import chat, ws_chat

urlpatterns = [
    path("/chat", chat, name="chat"),
    path("/ws/chat", ws_chat, name="ws_chat"),
]
