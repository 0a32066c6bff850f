"""The session stores ``SESSION_STORE`` names: ``"cookie"``, ``"database"``, ``"redis"``.

``cookie`` (the default)
    The data itself, signed (never encrypted: keep secrets out of it) in the cookie. Nothing to run;
    at most about 4 KB of data; a stolen cookie stays valid until it expires, even after a logout.
``database``
    A row per session in the ``duck_session`` table of the default database (add
    ``"duck.sessions.models"`` to ``MODELS`` and migrate); the cookie holds a random key.
``redis``
    A Redis key per session (``REDIS_URL``, or ``DUCK_REDIS_URL``) expiring by itself; needs redis-py
    (``pip install 'duckweb[redis]'``).

A dotted path to a :class:`~duck.sessions.base.SessionStore` subclass names a store of your own.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from duck.conf import on_setting_changed, settings
from duck.exceptions import BadSignature, ImproperlyConfigured
from duck.sessions.base import Record, SessionStore
from duck.utils import signing
from duck.utils.imports import import_string
from duck.utils.redis_client import blocking_client

if TYPE_CHECKING:
    import redis

__all__ = ["CookieStore", "DatabaseStore", "RedisStore", "get_store", "new_key"]

# Salt of the signed-cookie store's signatures: a session cookie is no token elsewhere.
COOKIE_SALT = "duck.sessions.cookie"
# Key length in bytes of server-side sessions: 256 bits, unguessable.
_KEY_BYTES = 32


def new_key() -> str:
    return secrets.token_urlsafe(_KEY_BYTES)


def _valid_key(key: str) -> bool:
    return 20 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()


class CookieStore(SessionStore):
    """The session's data, signed, in the cookie itself (see the module docstring)."""

    server_side = False

    def load(self, cookie_value: str) -> tuple[str | None, Record] | None:
        try:
            value = signing.loads(cookie_value, salt=COOKIE_SALT, max_age=settings.SESSION_COOKIE_AGE)
        except BadSignature:
            return None
        record = Record.from_json(value)
        return None if record is None else (None, record)

    def save(self, key: str | None, record: Record, now: float) -> str:
        return signing.dumps(record.to_json(), salt=COOKIE_SALT)

    def delete(self, key: str) -> None:
        pass  # the middleware deletes the cookie; nothing is kept here


class DatabaseStore(SessionStore):
    """A row per session in ``duck_session`` (:mod:`duck.sessions.models`), through ``get_session()``."""

    def load(self, cookie_value: str) -> tuple[str | None, Record] | None:
        if not _valid_key(cookie_value):
            return None
        from duck.db import get_session
        from duck.sessions.models import SessionRecord

        with get_session() as db:
            row = db.get(SessionRecord, cookie_value)
            if row is None or row.expires <= _utcnow():
                return None
            record = Record.from_json(json.loads(row.data))
        return None if record is None else (cookie_value, record)

    def save(self, key: str | None, record: Record, now: float) -> str:
        from duck.db import get_session
        from duck.sessions.models import SessionRecord

        key = key or new_key()
        expires = datetime.fromtimestamp(record.expires_at(now), timezone.utc).replace(tzinfo=None)
        with get_session() as db, db.begin():
            db.merge(SessionRecord(key=key, data=json.dumps(record.to_json()), expires=expires))
        return key

    def delete(self, key: str) -> None:
        from sqlalchemy import delete

        from duck.db import get_session
        from duck.sessions.models import SessionRecord

        with get_session() as db, db.begin():
            db.execute(delete(SessionRecord).where(SessionRecord.key == key))

    def clear_expired(self) -> int:
        """Delete the rows of expired sessions (``duck clearsessions``, run it daily); returns how many."""
        from sqlalchemy import delete

        from duck.db import get_session
        from duck.sessions.models import SessionRecord

        with get_session() as db, db.begin():
            result = db.execute(delete(SessionRecord).where(SessionRecord.expires <= _utcnow()))
            return int(getattr(result, "rowcount", 0) or 0)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC: the same on SQLite and PostgreSQL


class RedisStore(SessionStore):
    """A Redis key per session, ``SESSION_REDIS_PREFIX`` + key, expiring with the session."""

    def __init__(self) -> None:
        self._client()  # without redis-py, fail when the middleware chain is built (at start), not per request

    def _client(self) -> redis.Redis:
        return blocking_client("SESSION_STORE = 'redis'")

    def load(self, cookie_value: str) -> tuple[str | None, Record] | None:
        if not _valid_key(cookie_value):
            return None
        raw = self._client().get(settings.SESSION_REDIS_PREFIX + cookie_value)
        if raw is None:
            return None
        record = Record.from_json(json.loads(raw))
        return None if record is None else (cookie_value, record)

    def save(self, key: str | None, record: Record, now: float) -> str:
        key = key or new_key()
        ttl = max(1, int(record.expires_at(now) - now))
        self._client().set(settings.SESSION_REDIS_PREFIX + key, json.dumps(record.to_json()), ex=ttl)
        return key

    def delete(self, key: str) -> None:
        self._client().delete(settings.SESSION_REDIS_PREFIX + key)


_STORES: dict[str, type[SessionStore]] = {"cookie": CookieStore, "database": DatabaseStore, "redis": RedisStore}
_store: list[SessionStore] = []


@on_setting_changed
def _forget() -> None:
    _store.clear()


def get_store() -> SessionStore:
    """The store ``SESSION_STORE`` names (one instance per settings).

    Raises:
        ImproperlyConfigured: an unknown name, or a dotted path that is not a SessionStore class.
    """
    if _store:
        return _store[0]
    name = settings.SESSION_STORE
    store_class: Any = _STORES.get(name)
    if store_class is None:
        if "." not in name:
            raise ImproperlyConfigured(
                f"SESSION_STORE = {name!r}: use 'cookie', 'database', 'redis' or the dotted path of a SessionStore."
            )
        try:
            store_class = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(f"SESSION_STORE = {name!r} cannot be imported: {exc}") from exc
    if not (isinstance(store_class, type) and issubclass(store_class, SessionStore)):
        raise ImproperlyConfigured(f"SESSION_STORE = {name!r} is not a SessionStore subclass.")
    _store.append(store_class())
    return _store[0]
