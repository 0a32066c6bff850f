"""Settings of the groups project with the in-memory backend (one process)."""

from __future__ import annotations

SECRET_KEY = "groups-project-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.contrib.websockets.groups.project.urls"
MIDDLEWARE: list[str] = []
# Keepalive pings would only add frames the tests do not look at.
WEBSOCKET_PING_INTERVAL = None
WEBSOCKET_PING_TIMEOUT = None
SERVER_ACCESS_LOG = False
SERVER_SHUTDOWN_TIMEOUT = 3.0
GROUPS_BACKEND = "memory"
