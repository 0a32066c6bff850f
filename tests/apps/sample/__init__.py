"""A small duck project shared by the front-door tests (test client, WSGI, ASGI, real servers)."""
