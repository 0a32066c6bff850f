"""Sessions: ``request.session``, a dict kept between a browser's requests (docs/security.md).

Add ``"duck.sessions.middleware.SessionMiddleware"`` to ``MIDDLEWARE``; ``SESSION_STORE`` says where
the data lives (a signed cookie by default, the database, or Redis: :mod:`duck.sessions.stores`).
"""

from __future__ import annotations

from duck.sessions.base import Record, Session, SessionStore
from duck.sessions.stores import get_store

__all__ = ["Record", "Session", "SessionStore", "get_store"]
