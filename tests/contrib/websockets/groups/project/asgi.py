"""``uvicorn tests.contrib.websockets.groups.project.asgi:application`` (settings from DUCK_SETTINGS_MODULE)."""

from __future__ import annotations

from duck.asgi import get_asgi_application

application = get_asgi_application()
