"""Django's TFB app (the peer on gunicorn): minimal settings, no middleware, persistent connections."""

import os
from pathlib import Path
from urllib.parse import urlsplit

_url = urlsplit(os.environ["TFB_DATABASE_URL"])
SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "django_tfb.views"
INSTALLED_APPS = ["django_tfb"]
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username,
        "HOST": _url.hostname,
        "PORT": _url.port,
        "CONN_MAX_AGE": None,  # keep connections, as every peer here pools them
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [Path(__file__).resolve().parent.parent / "templates"],
    }
]
USE_TZ = False
