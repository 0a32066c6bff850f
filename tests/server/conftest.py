"""Settings for the server tests: the sample project's when the suite names it, a minimal set otherwise."""

from __future__ import annotations

import os

from duck.conf import ENVIRONMENT_VARIABLE, settings

if not settings.configured and not os.environ.get(ENVIRONMENT_VARIABLE):
    settings.configure(DEBUG=False, SECRET_KEY="server-tests", ALLOWED_HOSTS=["*"], SERVER_ACCESS_LOG=False)
