"""Where duck finds Redis, and the blocking redis-py client that sessions and login throttling share.

One client per URL for the whole process: redis-py's client is thread-safe and pools its
connections, so the session store and the throttle (both called from worker threads) share it.
The broadcast groups keep their own asyncio clients (duck/contrib/websockets/groups/redis_backend.py).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    import redis

__all__ = ["blocking_client", "close_clients", "redis_url"]

# Seconds one blocking Redis call may take (connect or command) before it fails instead of hanging a request.
_TIMEOUT = 5.0
_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def redis_url() -> str:
    """The Redis URL: the ``DUCK_REDIS_URL`` environment variable, else the ``REDIS_URL`` setting."""
    return os.environ.get("DUCK_REDIS_URL") or settings.REDIS_URL


def blocking_client(needed_by: str) -> redis.Redis:
    """The process's blocking client for :func:`redis_url`.

    Args:
        needed_by: the setting that asked for Redis, named in the error when redis-py is missing.

    Raises:
        ImproperlyConfigured: redis-py is not installed.
    """
    url = redis_url()
    client = _clients.get(url)
    if client is None:
        try:
            import redis as redis_py
        except ImportError:
            raise ImproperlyConfigured(f"{needed_by} needs redis-py: pip install 'duckweb[redis]'.") from None
        with _lock:
            client = _clients.setdefault(
                url, redis_py.Redis.from_url(url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)
            )
    return client


def close_clients() -> None:
    """Close and forget every client (their pooled connections); the next call makes new ones."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
