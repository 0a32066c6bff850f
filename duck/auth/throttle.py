"""Login throttling: too many failed logins in a minute, from one address or for one username, get 429.

``LOGIN_THROTTLE_PER_IP`` failures per minute from one client address (behind a proxy, the real one:
``TRUSTED_PROXIES``) and ``LOGIN_THROTTLE_PER_USER`` for one username from anywhere; past either, the
next attempt is refused with 429 and ``Retry-After`` (the seconds until the oldest failure is a minute
old) before the password is even checked. A successful login clears its username's count.

Where the failures are counted is ``LOGIN_THROTTLE_STORE``:

- ``"memory"``: in each process (a sliding window per key, bounded). With several workers an
  attacker gets each worker's allowance: still a few guesses per second at most, not thousands.
- ``"redis"``: in Redis (``REDIS_URL``), one sorted set of failure times per key, shared by every
  worker and machine. Should Redis be unreachable, the process's own counts take over (logged),
  so logins keep working and stay throttled per process.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from duck.conf import settings
from duck.exceptions import TooManyRequests
from duck.utils.redis_client import blocking_client

__all__ = [
    "FailureLog",
    "LoginThrottle",
    "MemoryFailureLog",
    "RedisFailureLog",
    "check_throttle_store",
    "login_throttle",
]

logger = logging.getLogger("duck.auth")
_T = TypeVar("_T")

WINDOW = 60.0  # seconds: the limits are per minute
# Keys remembered at most by the memory log; the least recently failed are forgotten first.
MAX_KEYS = 100_000
# Prepended to throttle keys in Redis so they cannot clash with other keys; sites that must not share
# counts use their own Redis database (REDIS_URL ending /1, /2...).
REDIS_PREFIX = "duck:login-failures:"


class FailureLog(Protocol):
    """Failure times per key (``ip:...``, ``user:...``) over the last :data:`WINDOW` seconds."""

    def recent(self, keys: Sequence[str], now: float) -> list[list[float]]:
        """Each key's failure times within the window, oldest first."""
        ...

    def add(self, keys: Sequence[str], now: float) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryFailureLog:
    """This process's failures, a bounded sliding window per key (thread-safe)."""

    def __init__(self) -> None:
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def recent(self, keys: Sequence[str], now: float) -> list[list[float]]:
        with self._lock:
            return [list(self._window(key, now)) for key in keys]

    def add(self, keys: Sequence[str], now: float) -> None:
        with self._lock:
            for key in keys:
                times = self._window(key, now)
                times.append(now)
                self._failures[key] = times
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


class RedisFailureLog:
    """Failures in Redis: a sorted set per key, scored by wall-clock time, expiring with the window."""

    def recent(self, keys: Sequence[str], now: float) -> list[list[float]]:
        pipe = blocking_client("LOGIN_THROTTLE_STORE = 'redis'").pipeline(transaction=False)
        for key in keys:
            pipe.zremrangebyscore(REDIS_PREFIX + key, "-inf", now - WINDOW)
            pipe.zrange(REDIS_PREFIX + key, 0, -1, withscores=True)
        replies = pipe.execute()
        return [[score for _member, score in entries] for entries in replies[1::2]]

    def add(self, keys: Sequence[str], now: float) -> None:
        pipe = blocking_client("LOGIN_THROTTLE_STORE = 'redis'").pipeline(transaction=False)
        member = f"{now}:{uuid.uuid4().hex}"  # unique: two failures in the same instant both count
        for key in keys:
            pipe.zadd(REDIS_PREFIX + key, {member: now})
            pipe.expire(REDIS_PREFIX + key, math.ceil(WINDOW))
        pipe.execute()

    def clear(self, key: str) -> None:
        blocking_client("LOGIN_THROTTLE_STORE = 'redis'").delete(REDIS_PREFIX + key)


class LoginThrottle:
    """The policy (limits, Retry-After) over the failure log ``LOGIN_THROTTLE_STORE`` names.

    Args:
        clock: the memory log's clock (the Redis log uses wall-clock time, shared between machines).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._memory = MemoryFailureLog()
        self._redis = RedisFailureLog()

    def check(self, address: str | None, username: str) -> None:
        """Refuse the attempt if either key is over its limit.

        Raises:
            TooManyRequests: 429 with the seconds to wait.
        """
        limits = self._limits(address, username)
        now, recent = self._call(lambda log, now: log.recent([key for key, _ in limits], now))
        for (_key, limit), times in zip(limits, recent, strict=True):
            if len(times) >= limit:
                wait = times[len(times) - limit] + WINDOW - now
                raise TooManyRequests(math.ceil(wait), "Too many failed logins; try again in a minute.")

    def failed(self, address: str | None, username: str) -> None:
        keys = [key for key, _ in self._limits(address, username)]
        self._call(lambda log, now: log.add(keys, now))

    def succeeded(self, username: str) -> None:
        self._call(lambda log, now: log.clear(_user_key(username)))

    def reset(self) -> None:
        """Forget this process's counts (tests); Redis keys expire by themselves."""
        self._memory.reset()

    def _call(self, action: Callable[[FailureLog, float], _T]) -> tuple[float, _T]:
        if settings.LOGIN_THROTTLE_STORE == "redis":
            unreachable = _redis_unreachable_errors()
            now = time.time()
            try:
                return now, action(self._redis, now)
            except unreachable as exc:
                logger.warning("Login throttle: Redis unreachable (%s); counting in this process meanwhile.", exc)
        now = self._clock()
        return now, action(self._memory, now)

    @staticmethod
    def _limits(address: str | None, username: str) -> list[tuple[str, int]]:
        limits = [(_user_key(username), int(settings.LOGIN_THROTTLE_PER_USER))]
        if address:
            limits.append((f"ip:{address}", int(settings.LOGIN_THROTTLE_PER_IP)))
        return limits


def check_throttle_store() -> None:
    """Fail at start, not at the first login, when LOGIN_THROTTLE_STORE = "redis" lacks redis-py.

    Raises:
        ImproperlyConfigured: redis-py is not installed.
    """
    if settings.LOGIN_THROTTLE_STORE == "redis":
        _redis_unreachable_errors()


def _redis_unreachable_errors() -> tuple[type[Exception], ...]:
    """redis-py's errors for a Redis that cannot be reached (ImproperlyConfigured without redis-py)."""
    blocking_client("LOGIN_THROTTLE_STORE = 'redis'")
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError)


def _user_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


login_throttle = LoginThrottle()
