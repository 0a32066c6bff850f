"""The groups project on the Redis backend; the URL comes from DUCK_REDIS_URL (the tests' redis-server)."""

from __future__ import annotations

import os

from tests.contrib.websockets.groups.project.settings import *  # noqa: F403

GROUPS_BACKEND = "redis"
# Each test names its own channel prefix, so that tests sharing one redis-server never mix.
GROUPS_REDIS_PREFIX = os.environ.get("GROUPS_TEST_PREFIX", "duck:groups:")
# A restarted Redis is found again within half a second.
GROUPS_REDIS_BACKOFF_MAX = 0.5
