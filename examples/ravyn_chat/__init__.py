"""Ravyn's chat_socket and ConnectionManager chat_room, on duck."""
