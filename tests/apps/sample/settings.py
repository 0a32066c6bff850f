"""Settings of the sample project (DUCK_SETTINGS_MODULE=tests.apps.sample.settings)."""

from __future__ import annotations

SECRET_KEY = "sample-project-not-a-secret"
DEBUG = False
# "testserver" is the test client's default Host; the others are what real servers on 127.0.0.1 see.
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.apps.sample.urls"
# Small, so that tests of the 413 refusal need no large bodies.
SERVER_MAX_BODY_SIZE = 1_000_000
