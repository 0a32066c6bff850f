"""ASGI entry point of the sample project, for real servers: ``uvicorn tests.apps.sample.asgi:application``."""

from __future__ import annotations

from duck.asgi import get_asgi_application

application = get_asgi_application()
