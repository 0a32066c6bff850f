"""Login throttling: places taken atomically before the check, per account, per address, in memory or in Redis.

Two ``LoginThrottle`` objects stand for two worker processes: each has its own memory, as
``duck runserver --workers 2`` gives each worker its own module state. Racing threads stand for
concurrent requests (tests/auth/test_served.py races real requests against real servers).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from duck.auth.throttle import LoginThrottle, account_key
from duck.exceptions import TooManyRequests
from duck.test import override_settings
from duck.utils.redis_client import close_clients
from tests.interop.helpers import free_port
from tests.redis_server import RedisServer

LIMITS = {"LOGIN_THROTTLE_PER_USER_AND_IP": 3, "LOGIN_THROTTLE_PER_IP": 5, "LOGIN_THROTTLE_PER_USER": 7}


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each store on a clean slate, with small limits: 3 per account and address, 5 per address, 7 per account."""
    if request.param == "memory":
        with override_settings(LOGIN_THROTTLE_STORE="memory", **LIMITS):
            yield "memory"
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    close_clients()
    with override_settings(LOGIN_THROTTLE_STORE="redis", REDIS_URL=server.url, **LIMITS):
        from duck.utils.redis_client import blocking_client

        blocking_client("test").flushdb()
        yield "redis"
    close_clients()


def fail(throttle: LoginThrottle, times: int, address: str | None = "10.0.0.1", account: str = "user:1") -> None:
    for _ in range(times):
        throttle.attempt(address, account)  # taken, and never given back: a wrong password


def refused(throttle: LoginThrottle, address: str | None = "10.0.0.1", account: str = "user:1") -> int:
    """The Retry-After of a refused attempt (fails the test if the attempt was let through)."""
    with pytest.raises(TooManyRequests) as refusal:
        throttle.attempt(address, account)
    return refusal.value.retry_after


def race(throttle_for: list[LoginThrottle], attempts: int, **where: str) -> int:
    """``attempts`` threads released at once, spread over the throttles; how many got a place."""
    start, taken, lock = threading.Barrier(attempts), [0], threading.Lock()

    def one(throttle: LoginThrottle) -> None:
        start.wait(timeout=10)
        try:
            throttle.attempt(where.get("address", "10.0.0.1"), where.get("account", "user:1"))
        except TooManyRequests:
            return
        with lock:
            taken[0] += 1

    threads = [threading.Thread(target=one, args=(throttle_for[i % len(throttle_for)],)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return taken[0]


def test_racing_attempts_get_no_more_places_than_the_allowance(store):
    workers = [LoginThrottle(), LoginThrottle()] if store == "redis" else [LoginThrottle()]
    assert race(workers, 60) == 3  # taken before any password is checked: a race cannot slip through
    assert race(workers, 60, account="user:2") == 2  # the address's 5, shared by every account


def test_one_account_from_one_address_gets_its_allowance_then_429_with_retry_after(store):
    throttle = LoginThrottle()
    fail(throttle, 3)
    assert 1 <= refused(throttle) <= 60
    throttle.attempt("10.0.0.2", "user:1")  # the real user, elsewhere, is not locked out
    throttle.attempt("10.0.0.1", "user:2")  # nor is another account from the same address


def test_an_address_trying_many_accounts_is_stopped_by_its_own_limit(store):
    throttle = LoginThrottle()
    for account in ("user:1", "user:2", "user:3", "user:4", "user:5"):
        throttle.attempt("10.0.0.1", account)
    refused(throttle, account="user:6")
    throttle.attempt("10.0.0.2", "user:6")


def test_the_per_account_ceiling_stops_guessing_spread_over_many_addresses(store):
    throttle = LoginThrottle()
    fail(throttle, 3, address="10.0.0.1")
    fail(throttle, 3, address="10.0.0.2")
    fail(throttle, 1, address="10.0.0.3")  # 7 in all for user:1
    refused(throttle, address="10.0.0.4")
    throttle.attempt("10.0.0.4", "user:2")


def test_a_success_gives_its_places_back_and_empties_its_pair_count(store):
    throttle = LoginThrottle()
    fail(throttle, 2)
    throttle.succeeded(throttle.attempt("10.0.0.1", "user:1"))  # the real user, after two typos
    fail(throttle, 3)  # a fresh pair allowance, and room in the address's 5: the success took no place
    refused(throttle)
    fail(throttle, 2, address="10.0.0.2")  # the account's 7: 5 failures so far, none for the success
    refused(throttle, address="10.0.0.3")


def test_refused_attempts_are_not_counted_and_places_free_after_a_minute():
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    with override_settings(LOGIN_THROTTLE_STORE="memory", **LIMITS):
        fail(throttle, 3)
        now[0] += 20
        assert refused(throttle) == 40  # the oldest attempt leaves the window in 40 s
        for _ in range(10):
            refused(throttle)
        now[0] += 40
        fail(throttle, 1)  # the 3 attempts are a minute old: the refusals did not prolong anything
        fail(throttle, 2)
        refused(throttle)


@pytest.mark.parametrize("store", ["redis"], indirect=True)
def test_attempts_counted_in_redis_are_seen_by_every_worker(store):
    first, second = LoginThrottle(), LoginThrottle()
    fail(first, 2)
    fail(second, 1)
    for worker in (first, second):
        refused(worker)
    assert first._memory.take([("pair:user:1|10.0.0.1", 1)], "probe", 0.0) is None  # nothing counted in process


def test_workers_counting_in_memory_each_give_the_full_allowance():
    """What LOGIN_THROTTLE_STORE = "redis" is for: in memory, two workers let 2 x the limit through."""
    first, second = LoginThrottle(), LoginThrottle()
    with override_settings(LOGIN_THROTTLE_STORE="memory", **LIMITS):
        fail(first, 3)
        refused(first)
        fail(second, 3)  # the second worker has not seen any


def test_accounts_are_users_however_named_and_unknown_names_are_counted_bounded():
    class User:
        id = 7

    assert account_key(User(), "ann") == account_key(User(), "ann@example.com") == "user:7"
    assert account_key(None, " Nobody ") == account_key(None, "nobody")
    assert len(account_key(None, "x" * 100_000)) < 64  # what a client sends does not size the key


def test_ipv6_addresses_count_per_64_network():
    throttle = LoginThrottle()
    with override_settings(LOGIN_THROTTLE_STORE="memory", **LIMITS):
        for host in range(1, 4):
            throttle.attempt(f"2001:db8:0:1::{host}", "user:1")
        refused(throttle, address="2001:db8:0:1:ffff::9")  # another address of the same /64
        throttle.attempt("2001:db8:0:2::1", "user:1")
        fail(throttle, 3, address="::ffff:10.0.0.1")
        refused(throttle, address="10.0.0.1")  # an IPv4-mapped address is that IPv4 address


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(caplog):
    throttle = LoginThrottle()
    close_clients()
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: connections are refused
    settings = override_settings(LOGIN_THROTTLE_STORE="redis", REDIS_URL=nowhere, **LIMITS)
    with settings, caplog.at_level(logging.WARNING, logger="duck.auth"):
        fail(throttle, 3)
        refused(throttle)
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
