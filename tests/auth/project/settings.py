"""Settings of the accounts test project: sessions, CSRF, users and security headers, as startproject's."""

from __future__ import annotations

from pathlib import Path

SECRET_KEY = "accounts-test-project-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.auth.project.urls"
MIDDLEWARE = [
    "duck.middleware.security.SecurityMiddleware",
    "duck.sessions.middleware.SessionMiddleware",
    "duck.middleware.csrf.CsrfViewMiddleware",
    "duck.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [{"BACKEND": "duck.template.Jinja2", "DIRS": [Path(__file__).parent / "templates"], "OPTIONS": {}}]
MODELS = ["duck.auth.models", "duck.sessions.models"]
DATABASES = {"default": {"URL": "sqlite:///accounts-test.sqlite3"}}  # tests point it at a temporary file
