"""Settings of the faces project (DUCK_SETTINGS_MODULE=tests.contrib.websockets.faces.project.settings)."""

from __future__ import annotations

SECRET_KEY = "faces-project-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.contrib.websockets.faces.project.urls"
# dwebsocket's middleware: undecorated views refuse WebSockets (400) unless opted in.
MIDDLEWARE = ["duck.contrib.websockets.middleware.WebSocketMiddleware"]
# Keepalive pings would only add frames the tests do not look at.
WEBSOCKET_PING_INTERVAL = None
WEBSOCKET_PING_TIMEOUT = None
