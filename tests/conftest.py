"""Test-wide setup shared by every test package; keep additions small and documented."""

from __future__ import annotations

import os

# Tests that do not pick settings themselves run against the sample project; per-test changes go
# through settings.override / override_settings, never by editing this variable.
os.environ.setdefault("DUCK_SETTINGS_MODULE", "tests.apps.sample.settings")

# A real PostgreSQL server, started on demand by the tests that use its fixtures (tests/postgres.py).
pytest_plugins = ["tests.postgres"]
