"""Routes of the chat example: the seed's ChatSocket (views.py, as written in Duck's docs)."""

from duck.urls import path
from examples.duck_chat.views import ChatSocket

urlpatterns = [
    path("/ws/chat", ChatSocket, name="chat"),
]
