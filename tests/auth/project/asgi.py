"""ASGI entry point of the accounts test project (uvicorn in tests/auth/test_servers.py)."""

from duck.asgi import get_asgi_application

application = get_asgi_application()
