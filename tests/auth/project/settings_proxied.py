"""The accounts project behind a reverse proxy on 127.0.0.1 (tests/interop/test_nginx_proxy.py)."""

from tests.auth.project.settings import *  # noqa: F403

TRUSTED_PROXIES = ["127.0.0.1"]
