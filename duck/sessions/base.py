"""``request.session``: a dict of JSON values kept between a browser's requests.

A :class:`Session` is loaded by :class:`~duck.sessions.middleware.SessionMiddleware` before the view
runs and saved after it, only when it changed (or, with ``SESSION_IDLE_TIMEOUT``, when its last
activity needs refreshing). Where its data lives is the :class:`SessionStore`'s business
(:mod:`duck.sessions.stores`): a signed cookie, a database table or Redis.

Each session knows when it was created and when it was last saved: it expires ``SESSION_COOKIE_AGE``
seconds after creation, and ``SESSION_IDLE_TIMEOUT`` seconds after its last activity. An expired,
tampered or unknown session is treated as absent: the request gets a new, empty one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from duck.conf import settings

__all__ = ["CSRF_SESSION_KEY", "Record", "Session", "SessionStore", "TransientStore"]

# The session key holding the CSRF secret (duck.middleware.csrf); login() drops it so a token seen
# before login is worthless after it.
CSRF_SESSION_KEY = "_csrf_secret"


@dataclass
class Record:
    """What a store keeps for one session: its data and two timestamps (seconds since the epoch)."""

    data: dict[str, Any]
    created: float
    seen: float

    def to_json(self) -> dict[str, Any]:
        return {"d": self.data, "c": int(self.created), "s": int(self.seen)}

    @classmethod
    def from_json(cls, value: Any) -> Record | None:
        """None for anything that is not a record (an old format, a forged payload)."""
        if not isinstance(value, dict) or not isinstance(value.get("d"), dict):
            return None
        created, seen = value.get("c"), value.get("s")
        if not isinstance(created, int) or not isinstance(seen, int):
            return None
        return cls(value["d"], float(created), float(seen))

    def expires_at(self, now: float) -> float:
        """When this record expires, given that it is saved at ``now``."""
        until = self.created + float(settings.SESSION_COOKIE_AGE)
        idle = settings.SESSION_IDLE_TIMEOUT
        return min(until, now + float(idle)) if idle is not None else until

    def expired(self, now: float) -> bool:
        idle = settings.SESSION_IDLE_TIMEOUT
        return now >= self.created + settings.SESSION_COOKIE_AGE or (idle is not None and now >= self.seen + idle)


class SessionStore:
    """Where sessions live. Methods block (network, disk): the middleware calls them off the event loop.

    ``load``/``save``/``delete`` talk in *cookie values*: a store keeping data on the server puts a
    random key in the cookie; the signed-cookie store puts the data itself there.
    """

    #: False for the signed-cookie store: its data lives in the cookie, so saving needs a response.
    server_side = True

    def load(self, cookie_value: str) -> tuple[str | None, Record] | None:
        """The session key and record named by ``cookie_value``; None when absent, expired or forged."""
        raise NotImplementedError

    def save(self, key: str | None, record: Record, now: float) -> str:
        """Store ``record`` (under ``key``, or a new key when None); returns the cookie value."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Forget the session ``key`` (logout, key cycling); nothing happens if it is unknown."""
        raise NotImplementedError

    def clear_expired(self) -> int | None:
        """Delete expired sessions (``duck clearsessions``); returns how many.

        None (the default) means the store's sessions expire by themselves: nothing to delete.
        """
        return None


class TransientStore(SessionStore):
    """Keeps nothing: the session of a request authenticated by other means than its cookie (a bearer
    token) lives for that request only, and ``asave()`` on it stores nothing."""

    def load(self, cookie_value: str) -> tuple[str | None, Record] | None:
        return None

    def save(self, key: str | None, record: Record, now: float) -> str:
        return ""

    def delete(self, key: str) -> None:
        pass


class Session(MutableMapping[str, Any]):
    """A dict of JSON-serializable values, saved by the middleware when it was modified.

    Changing a value inside a stored list or dict is not seen: assign the key again, or set
    ``session.modified = True``.

    Attributes:
        modified: the data changed; the middleware will save it.
        accessed: the data was read or written (responses then vary on Cookie).
    """

    def __init__(self, store: SessionStore, key: str | None = None, record: Record | None = None) -> None:
        now = time.time()
        self._store = store
        self._key = key
        self._record = record if record is not None else Record({}, now, now)
        self._stale_keys: list[str] = []  # keys to delete at the next save (cycle_key, flush)
        self.modified = False
        self.accessed = False
        self.loaded_from_cookie = record is not None

    # -- the mapping -------------------------------------------------------------------------------
    @property
    def _data(self) -> dict[str, Any]:
        self.accessed = True
        return self._record.data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self.modified = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)  # one dict lookup, not __getitem__'s KeyError

    def peek(self, key: str) -> Any:
        """The value of ``key`` or None, without marking the session accessed (the response does not vary)."""
        return self._record.data.get(key)

    def __repr__(self) -> str:  # never the contents: they may be secret and reprs end up in logs
        return f"<Session {len(self._record.data)} keys{' modified' if self.modified else ''}>"

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def session_key(self) -> str | None:
        """The key in the cookie of a server-side store (None until first saved, and for the cookie store)."""
        return self._key

    @property
    def record(self) -> Record:
        return self._record

    @property
    def store(self) -> SessionStore:
        return self._store

    @property
    def is_empty(self) -> bool:
        return not self._record.data

    def cycle_key(self) -> None:
        """Keep the data under a new key (call it on login: a key planted before login is then worthless)."""
        if self._key is not None:
            self._stale_keys.append(self._key)
        self._key = None
        now = time.time()
        self._record = Record(self._record.data, now, now)
        self.modified = True

    def flush(self) -> None:
        """Empty the session and forget its key (logout): the browser's cookie is deleted."""
        if self._key is not None:
            self._stale_keys.append(self._key)
        self._key = None
        now = time.time()
        self._record = Record({}, now, now)
        self.modified = True

    def needs_touch(self, now: float) -> bool:
        """With an idle timeout, refresh the last activity once a tenth of the timeout has passed."""
        idle = settings.SESSION_IDLE_TIMEOUT
        return idle is not None and not self.is_empty and now - self._record.seen >= idle / 10

    def save_now(self, now: float | None = None) -> str | None:
        """Write the session to its store (blocking); returns the cookie value, or None when it is empty.

        The middleware calls it; WebSocket handlers call :meth:`asave` to keep what they changed.
        """
        now = time.time() if now is None else now
        for key in self._stale_keys:
            self._store.delete(key)
        self._stale_keys.clear()
        if self.is_empty:
            if self._key is not None:
                self._store.delete(self._key)
                self._key = None
            self.modified = False
            return None
        self._record.seen = now
        value = self._store.save(self._key, self._record, now)
        if self._store.server_side:
            self._key = value
        self.modified = False
        return value

    async def asave(self) -> None:
        """Save now, from async code (a WebSocket handler: there is no response to save it after).

        Raises:
            RuntimeError: the signed-cookie store, whose data can only travel in a response's cookie.
        """
        if not self._store.server_side:
            raise RuntimeError(
                "Sessions in signed cookies can only be saved with an HTTP response; set SESSION_STORE to "
                "'database' or 'redis' to change a session from a WebSocket."
            )
        from duck.utils.sync import run_sync

        await run_sync(self.save_now)
