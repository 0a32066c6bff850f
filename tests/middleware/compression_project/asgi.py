"""ASGI entry point for uvicorn (the tests set DUCK_SETTINGS_MODULE to this project's settings)."""

from __future__ import annotations

from duck.asgi import get_asgi_application

application = get_asgi_application()
