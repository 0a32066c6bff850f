"""Settings of the dwebsocket_views example.

Serve it from the repository root with `python -m duck runserver --settings examples.dwebsocket_views.settings`
or `uvicorn examples.dwebsocket_views.asgi:application`.
"""

SECRET_KEY = "example-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "examples.dwebsocket_views.urls"
