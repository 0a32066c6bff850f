"""ASGI entry point: `uvicorn examples.duck_echo.asgi:application` from the repository root."""

import os

os.environ.setdefault("DUCK_SETTINGS_MODULE", "examples.duck_echo.settings")

from duck.asgi import get_asgi_application  # after DUCK_SETTINGS_MODULE is set above

application = get_asgi_application()
