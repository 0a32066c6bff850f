"""Routes of the Ravyn examples: each seed module keeps its own ``urlpatterns``, as the docs' ``app = Ravyn(...)``."""

from examples.ravyn_chat import chat_room, chat_socket

urlpatterns = [*chat_socket.urlpatterns, *chat_room.urlpatterns]
