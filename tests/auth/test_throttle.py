"""Login throttling counted in each process, or in a real Redis shared by every worker (LOGIN_THROTTLE_STORE).

Two ``LoginThrottle`` objects stand for two worker processes: each has its own memory, as
``duck runserver --workers 2`` gives each worker its own module state.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from duck.auth.throttle import LoginThrottle
from duck.exceptions import TooManyRequests
from duck.test import override_settings
from duck.utils.redis_client import close_clients
from tests.interop.helpers import free_port
from tests.redis_server import RedisServer


@pytest.fixture
def shared(redis_server: RedisServer, request: pytest.FixtureRequest) -> Iterator[None]:
    """LOGIN_THROTTLE_STORE = "redis" on a clean database, limits 3 per user and 4 per address."""
    close_clients()
    with override_settings(
        LOGIN_THROTTLE_STORE="redis", REDIS_URL=redis_server.url, LOGIN_THROTTLE_PER_USER=3, LOGIN_THROTTLE_PER_IP=4
    ):
        from duck.utils.redis_client import blocking_client

        blocking_client("test").flushdb()
        yield
    close_clients()


def fail(throttle: LoginThrottle, times: int, address: str = "10.0.0.1", username: str = "ann") -> None:
    for _ in range(times):
        throttle.check(address, username)
        throttle.failed(address, username)


def test_workers_counting_in_memory_each_give_the_full_allowance():
    """What LOGIN_THROTTLE_STORE = "redis" is for: in memory, two workers let 2 x the limit through."""
    first, second = LoginThrottle(), LoginThrottle()
    with override_settings(LOGIN_THROTTLE_STORE="memory", LOGIN_THROTTLE_PER_USER=3):
        fail(first, 3)
        with pytest.raises(TooManyRequests):
            first.check("10.0.0.1", "ann")
        fail(second, 3)  # the second worker has not seen any


def test_failures_counted_in_redis_are_seen_by_every_worker(shared):
    first, second = LoginThrottle(), LoginThrottle()
    fail(first, 2)
    fail(second, 1)
    for worker in (first, second):
        with pytest.raises(TooManyRequests) as refused:
            worker.check("10.9.9.9", "Ann ")  # per user, from anywhere, however the name is typed
        assert 1 <= refused.value.retry_after <= 60
    assert first._memory.recent(["user:ann"], 0.0) == [[]]  # nothing was counted in the process


def test_the_address_limit_is_shared_too_and_a_success_clears_only_its_username(shared):
    first, second = LoginThrottle(), LoginThrottle()
    fail(first, 2, username="ann")
    first.succeeded("ann")
    fail(second, 2, username="bob")
    second.succeeded("bob")
    with pytest.raises(TooManyRequests):  # 4 failures from 10.0.0.1 in all, whoever they were for
        first.check("10.0.0.1", "carol")
    first.check("10.0.0.2", "ann")  # ann's count was cleared by her login


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(caplog):
    throttle = LoginThrottle()
    close_clients()
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: connections are refused
    settings = override_settings(LOGIN_THROTTLE_STORE="redis", REDIS_URL=nowhere, LOGIN_THROTTLE_PER_USER=2)
    with settings, caplog.at_level(logging.WARNING, logger="duck.auth"):
        fail(throttle, 2)
        with pytest.raises(TooManyRequests):
            throttle.check("10.0.0.1", "ann")
    close_clients()
    assert "Redis unreachable" in caplog.text


def test_missing_redis_py_fails_when_the_middleware_is_built_not_at_the_first_login(monkeypatch):
    from duck.auth.middleware import AuthenticationMiddleware
    from duck.exceptions import ImproperlyConfigured
    from duck.sessions.middleware import SessionMiddleware

    close_clients()
    monkeypatch.setitem(sys.modules, "redis", None)  # what `import redis` sees when redis-py is not installed
    with (
        override_settings(LOGIN_THROTTLE_STORE="redis"),
        pytest.raises(ImproperlyConfigured, match="duckweb\\[redis\\]"),
    ):
        AuthenticationMiddleware(lambda request: None)
    with override_settings(SESSION_STORE="redis"), pytest.raises(ImproperlyConfigured, match="SESSION_STORE = 'redis'"):
        SessionMiddleware(lambda request: None)
