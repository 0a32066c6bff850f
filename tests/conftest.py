"""Test-wide setup shared by every test package; keep additions small and documented."""

from __future__ import annotations

import os

import pytest

# Tests that do not pick settings themselves run against the sample project; per-test changes go
# through settings.override / override_settings, never by editing this variable.
os.environ.setdefault("DUCK_SETTINGS_MODULE", "tests.apps.sample.settings")

# Real PostgreSQL and Redis servers, started on demand by the tests that use their fixtures
# (tests/postgres.py, tests/redis_server.py).
pytest_plugins = ["tests.postgres", "tests.redis_server", "tests.accounts"]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory):
    """A self-signed certificate for localhost/127.0.0.1 made by docs/deployment.md's command (tests/tls.py)."""
    from tests.tls import make_certificate

    return make_certificate(tmp_path_factory.mktemp("tls"))
