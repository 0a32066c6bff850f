"""Settings of the ravyn_chat example.

Serve it from the repository root with `python -m duck runserver --settings examples.ravyn_chat.settings`
or `uvicorn examples.ravyn_chat.asgi:application`.
"""

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.ravyn_chat.urls"
