"""Login throttling: too many failed logins in a minute, from one address or for one username, get 429.

``LOGIN_THROTTLE_PER_IP`` failures per minute from one client address (behind a proxy, the real one:
``TRUSTED_PROXIES``) and ``LOGIN_THROTTLE_PER_USER`` for one username from anywhere; past either, the
next attempt is refused with 429 and ``Retry-After`` (the seconds until the oldest failure is a minute
old) before the password is even checked. A successful login clears its username's count.

Counts live in the memory of each process (a sliding window per key, bounded): with several workers
an attacker gets each worker's allowance, still a few per second at most instead of thousands.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

from duck.conf import settings
from duck.exceptions import TooManyRequests

__all__ = ["LoginThrottle", "login_throttle"]

WINDOW = 60.0  # seconds: the limits are per minute
# Keys remembered at most; the least recently failed are forgotten first (memory stays bounded).
MAX_KEYS = 100_000


class LoginThrottle:
    """Failure timestamps per key (``ip:...``, ``user:...``) in a sliding window."""

    def __init__(self, clock: object = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, address: str | None, username: str) -> None:
        """Refuse the attempt if either key is over its limit.

        Raises:
            TooManyRequests: 429 with the seconds to wait.
        """
        now = self._now()
        with self._lock:
            for key, limit in self._limits(address, username):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = times[len(times) - limit] + WINDOW - now
                    raise TooManyRequests(math.ceil(wait), "Too many failed logins; try again in a minute.")

    def failed(self, address: str | None, username: str) -> None:
        now = self._now()
        with self._lock:
            for key, _ in self._limits(address, username):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(_user_key(username), None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    @staticmethod
    def _limits(address: str | None, username: str) -> list[tuple[str, int]]:
        limits = [(_user_key(username), int(settings.LOGIN_THROTTLE_PER_USER))]
        if address:
            limits.append((f"ip:{address}", int(settings.LOGIN_THROTTLE_PER_IP)))
        return limits


def _user_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


login_throttle = LoginThrottle()
