"""Settings of the dwebsocket_chat example.

Serve it from the repository root with `python -m duck runserver --settings examples.dwebsocket_chat.settings`
or `uvicorn examples.dwebsocket_chat.asgi:application`.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.dwebsocket_chat.urls"

TEMPLATES = [
    {
        "BACKEND": "duck.template.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {},
    }
]
