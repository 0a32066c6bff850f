"""Load a project before serving it: settings, then the URL conf with every view built.

Every front door calls :func:`load_project` when it starts (``duck runserver``,
``get_wsgi_application()``, ``get_asgi_application()`` and the ASGI lifespan startup), so a
mistake in the settings, the URL conf or a view class stops the server at start with a message
saying how to fix it, instead of a 500 at the first request.
"""

from __future__ import annotations

from duck.conf import settings
from duck.urls import get_resolver

__all__ = ["load_project"]


def load_project() -> None:
    """Load and check the settings, import the URL conf and compile every route.

    Building the routes builds each view class's ``as_view()``, which checks the class.

    Raises:
        ImproperlyConfigured: a setting, the URL conf or a view class is wrong; the message says how to fix it.
        Exception: whatever importing the URL conf (or the views it imports) raised.
    """
    settings.SETTINGS_MODULE  # noqa: B018 - the first read imports and validates the settings module
    get_resolver().table  # noqa: B018 - imports the URL conf (and views) and compiles every route
