"""WSGI entry point of the sample project, for real servers: ``gunicorn tests.apps.sample.wsgi:application``."""

from __future__ import annotations

from duck.wsgi import get_wsgi_application

application = get_wsgi_application()
