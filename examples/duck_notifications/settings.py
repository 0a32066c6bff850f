"""Settings of the duck_notifications example.

Serve it from the repository root with `python -m duck runserver --settings examples.duck_notifications.settings`
or `uvicorn examples.duck_notifications.asgi:application`.
"""

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.duck_notifications.urls"
