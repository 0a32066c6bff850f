"""A project whose URL conf routes a view class with no handler: it must not start."""

from __future__ import annotations

SECRET_KEY = "broken-view-project-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
ROOT_URLCONF = "tests.apps.broken_view.urls"
