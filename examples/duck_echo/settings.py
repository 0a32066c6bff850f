"""Settings of the duck_echo example.

Serve it from the repository root with `python -m duck runserver --settings examples.duck_echo.settings`
or `uvicorn examples.duck_echo.asgi:application`.
"""

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.duck_echo.urls"
