"""Settings of the ASGI interop project (DUCK_SETTINGS_MODULE=tests.contrib.websockets.asgi_app.settings)."""

from __future__ import annotations

SECRET_KEY = "asgi-interop-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.contrib.websockets.asgi_app.urls"
# The interop tests check echo, close and refusals; keepalive pings would only add noise.
WEBSOCKET_PING_INTERVAL = None
WEBSOCKET_PING_TIMEOUT = None
