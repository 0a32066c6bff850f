"""Login throttling: every attempt takes its place in three counts *before* its password is checked.

Each count covers the last minute (docs/security.md, "Throttling"):

- ``LOGIN_THROTTLE_PER_USER_AND_IP`` attempts for one account from one address: guessing from one
  place stops there, and the real user elsewhere is not locked out by it;
- ``LOGIN_THROTTLE_PER_IP`` attempts from one address, whatever the accounts (behind a proxy, the real
  address: ``TRUSTED_PROXIES``; IPv6 addresses count per /64, what one subscriber gets);
- ``LOGIN_THROTTLE_PER_USER`` attempts for one account from all addresses together: the ceiling
  against guessing spread over many addresses.

An account is the user the identifier names, however it is typed (username or email); an identifier
naming nobody is counted the same way, so the counts do not tell whether it exists. An attempt that
finds a count full is refused with 429 and ``Retry-After`` (seconds until a place frees) and is not
counted. Taking places is atomic (one Redis script, or under a lock), so however many requests race,
no more than the allowance reach the password check. A successful login gives its places back and
empties its (account, address) count; a failed one keeps them.

Where the counts live is ``LOGIN_THROTTLE_STORE``:

- ``"memory"``: in each process (a sliding window per key, bounded). With several workers an
  attacker gets each worker's allowance: still a few guesses per second at most, not thousands.
- ``"redis"``: in Redis (``REDIS_URL``), one sorted set of attempt times per key, shared by every
  worker and machine. Should Redis be unreachable, the process's own counts take over (logged),
  so logins keep working and stay throttled per process.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from duck.conf import settings
from duck.exceptions import TooManyRequests
from duck.utils.redis_client import blocking_client

__all__ = [
    "Attempt",
    "AttemptLog",
    "LoginThrottle",
    "MemoryAttemptLog",
    "RedisAttemptLog",
    "check_throttle_store",
    "login_throttle",
]

logger = logging.getLogger("duck.auth")
_T = TypeVar("_T")

WINDOW = 60.0  # seconds: the limits are per minute
# Keys remembered at most by the memory log; the least recently used are forgotten first.
MAX_KEYS = 100_000
# Prepended to throttle keys in Redis so they cannot clash with other keys; sites that must not share
# counts use their own Redis database (REDIS_URL ending /1, /2...).
REDIS_PREFIX = "duck:login-attempts:"
# IPv6 addresses are counted per network of this prefix length: one subscriber gets a whole /64.
IPV6_PREFIX = 64

# Atomically: drop entries older than the window from every key; if one key is full, answer the
# seconds until its oldest entry in the way leaves; else add the attempt to every key.
# KEYS: the counts; ARGV: now, window, member, one limit per key, then now - window (exact, as text).
_TAKE_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = -1
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[4 + #KEYS])
  local limit = tonumber(ARGV[3 + i])
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait >= 0 then
  return tostring(wait)
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[3])
  redis.call('EXPIRE', key, math.ceil(window))
end
return false
"""


class AttemptLog(Protocol):
    """Attempt times per key over the last :data:`WINDOW` seconds."""

    def take(self, limits: Sequence[tuple[str, int]], member: str, now: float) -> float | None:
        """Add ``member`` to every key unless one holds its limit already: then the seconds to wait."""
        ...

    def give_back(self, keys: Sequence[str], member: str, cleared: str) -> None:
        """Remove ``member`` from ``keys`` and empty the key ``cleared`` (a successful login)."""
        ...


class MemoryAttemptLog:
    """This process's attempts, a bounded sliding window per key (thread-safe)."""

    def __init__(self) -> None:
        self._attempts: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[tuple[float, str]]:
        times = self._attempts.get(key)
        if times is None:
            return deque()
        while times and times[0][0] <= now - WINDOW:
            times.popleft()
        return times

    def take(self, limits: Sequence[tuple[str, int]], member: str, now: float) -> float | None:
        with self._lock:
            windows = [(key, self._window(key, now), limit) for key, limit in limits]
            waits = [times[len(times) - limit][0] + WINDOW - now for _, times, limit in windows if len(times) >= limit]
            if waits:
                return max(waits)
            for key, times, _ in windows:
                times.append((now, member))
                self._attempts[key] = times
                self._attempts.move_to_end(key)
            while len(self._attempts) > MAX_KEYS:
                self._attempts.popitem(last=False)
            return None

    def give_back(self, keys: Sequence[str], member: str, cleared: str) -> None:
        with self._lock:
            for key in keys:
                times = self._attempts.get(key)
                if times is not None:
                    self._attempts[key] = deque(entry for entry in times if entry[1] != member)
            self._attempts.pop(cleared, None)

    def reset(self) -> None:
        with self._lock:
            self._attempts.clear()


class RedisAttemptLog:
    """Attempts in Redis: a sorted set per key, scored by wall-clock time, expiring with the window."""

    def take(self, limits: Sequence[tuple[str, int]], member: str, now: float) -> float | None:
        client = _client()
        keys = [REDIS_PREFIX + key for key, _ in limits]
        script: Any = client.register_script(_TAKE_SCRIPT)
        limits_args = [limit for _, limit in limits]
        wait = script(keys=keys, args=[repr(now), repr(WINDOW), member, *limits_args, repr(now - WINDOW)])
        return None if wait is None else float(wait)

    def give_back(self, keys: Sequence[str], member: str, cleared: str) -> None:
        pipe = _client().pipeline(transaction=True)
        for key in keys:
            pipe.zrem(REDIS_PREFIX + key, member)
        pipe.delete(REDIS_PREFIX + cleared)
        pipe.execute()


@dataclass(frozen=True)
class Attempt:
    """One login attempt's places in the counts, to give back if it succeeds."""

    keys: tuple[str, ...]
    member: str
    pair_key: str
    log: AttemptLog


class LoginThrottle:
    """The policy (keys, limits, Retry-After) over the attempt log ``LOGIN_THROTTLE_STORE`` names.

    Args:
        clock: the memory log's clock (the Redis log uses wall-clock time, shared between machines).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._memory = MemoryAttemptLog()
        self._redis = RedisAttemptLog()

    def attempt(self, address: str | None, account: str) -> Attempt:
        """Take this attempt's places before its password is checked; ``account`` from :func:`account_key`.

        Raises:
            TooManyRequests: a count is full (429 with the seconds to wait); nothing was counted.
        """
        limits = _limits(address, account)
        member = uuid.uuid4().hex  # unique: two attempts in the same instant both count
        log, wait = self._call(lambda log, now: log.take(limits, member, now))
        if wait is not None:
            raise TooManyRequests(max(1, math.ceil(wait)), "Too many failed logins; try again in a minute.")
        return Attempt(tuple(key for key, _ in limits), member, limits[0][0], log)

    def succeeded(self, attempt: Attempt) -> None:
        """Give the attempt's places back and empty its (account, address) count."""
        if attempt.log is not self._redis:
            attempt.log.give_back(attempt.keys, attempt.member, attempt.pair_key)
            return
        try:
            attempt.log.give_back(attempt.keys, attempt.member, attempt.pair_key)
        except _redis_unreachable_errors() as exc:
            logger.warning("Login throttle: Redis unreachable (%s); a successful login stays counted.", exc)

    def reset(self) -> None:
        """Forget this process's counts (tests); Redis keys expire by themselves."""
        self._memory.reset()

    def _call(self, action: Callable[[AttemptLog, float], _T]) -> tuple[AttemptLog, _T]:
        if settings.LOGIN_THROTTLE_STORE == "redis":
            unreachable = _redis_unreachable_errors()
            try:
                return self._redis, action(self._redis, time.time())
            except unreachable as exc:
                logger.warning("Login throttle: Redis unreachable (%s); counting in this process meanwhile.", exc)
        return self._memory, action(self._memory, self._clock())


def account_key(user: Any | None, identifier: str) -> str:
    """What attempts on ``identifier`` are counted under: its user's id, else the identifier itself.

    The identifier is normalized (case, spaces) and hashed: the key's size does not depend on what a
    client sends.
    """
    if user is not None:
        return f"user:{user.id}"
    digest = hashlib.sha256(identifier.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"name:{digest}"


def _limits(address: str | None, account: str) -> list[tuple[str, int]]:
    """(key, limit) of each count, the (account, address) one first; without an address, only the account's."""
    place = _address_bucket(address)
    limits = [(f"pair:{account}|{place}", int(settings.LOGIN_THROTTLE_PER_USER_AND_IP))]
    limits.append((account, int(settings.LOGIN_THROTTLE_PER_USER)))
    if address:
        limits.append((f"ip:{place}", int(settings.LOGIN_THROTTLE_PER_IP)))
    return limits


def _address_bucket(address: str | None) -> str:
    """The address as counted: itself, or its /64 network for IPv6; "-" for none."""
    if not address:
        return "-"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def check_throttle_store() -> None:
    """Fail at start, not at the first login, when LOGIN_THROTTLE_STORE = "redis" lacks redis-py.

    Raises:
        ImproperlyConfigured: redis-py is not installed.
    """
    if settings.LOGIN_THROTTLE_STORE == "redis":
        _redis_unreachable_errors()


def _client() -> Any:
    return blocking_client("LOGIN_THROTTLE_STORE = 'redis'")


def _redis_unreachable_errors() -> tuple[type[Exception], ...]:
    """redis-py's errors for a Redis that cannot be reached (ImproperlyConfigured without redis-py)."""
    _client()
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError)


login_throttle = LoginThrottle()
