"""Settings of the compression test project."""

from __future__ import annotations

SECRET_KEY = "compression-project-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.middleware.compression_project.urls"
MIDDLEWARE = ["duck.middleware.compression.CompressionMiddleware"]
SERVER_ACCESS_LOG = False
