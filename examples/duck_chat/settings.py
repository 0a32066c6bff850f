"""Settings of the duck_chat example.

Serve it from the repository root with `python -m duck runserver --settings examples.duck_chat.settings`
or `uvicorn examples.duck_chat.asgi:application`.
"""

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.duck_chat.urls"
