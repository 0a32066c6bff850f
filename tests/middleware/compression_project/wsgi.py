"""WSGI entry point for gunicorn (the tests set DUCK_SETTINGS_MODULE to this project's settings)."""

from __future__ import annotations

from duck.wsgi import get_wsgi_application

application = get_wsgi_application()
