"""The accounts project under ``duck runserver`` in tests/auth/test_served.py: stores chosen by the environment.

Behind a "proxy" on 127.0.0.1 (``TRUSTED_PROXIES``), so each test's requests come from addresses of
its own (``X-Forwarded-For``) and one test's counts never reach another's.
"""

import os

from tests.auth.project.settings import *  # noqa: F403

TRUSTED_PROXIES = ["127.0.0.1"]
LOGIN_THROTTLE_STORE = os.environ.get("ACCOUNTS_THROTTLE_STORE", "memory")
SESSION_STORE = os.environ.get("ACCOUNTS_SESSION_STORE", "cookie")
SESSION_REDIS_PREFIX = os.environ.get("ACCOUNTS_REDIS_PREFIX", "duck:session:")
