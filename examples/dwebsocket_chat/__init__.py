"""A dwebsocket chat room that broadcasts to every user (seed 004), on duck."""
