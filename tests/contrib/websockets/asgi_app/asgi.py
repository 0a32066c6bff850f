"""``uvicorn tests.contrib.websockets.asgi_app.asgi:application``."""

from __future__ import annotations

from duck.asgi import get_asgi_application

application = get_asgi_application()
