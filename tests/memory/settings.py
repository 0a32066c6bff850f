"""Settings of the project the memory tests and bench/soak.py serve with `duck runserver` (DEBUG off)."""

DEBUG = False
SECRET_KEY = "memory-tests-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.memory.urls"
SERVER_ACCESS_LOG = False
WEBSOCKET_PING_INTERVAL = None
