"""duck's data layer: SQLAlchemy 2 models and sessions, configured by ``DATABASES``, migrated by Alembic.

::

    # models.py
    from sqlalchemy.orm import Mapped, mapped_column
    from duck.db import Model

    class Message(Model):
        __tablename__ = "message"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str]

    # views.py
    from sqlalchemy import select

    def messages(request):                       # sync view: request.db is a Session
        rows = request.db.scalars(select(Message)).all()
        ...

    async def add(request):                      # async view: request.async_db is an AsyncSession
        request.async_db.add(Message(text=request.POST["text"]))
        await request.async_db.commit()
        ...

Outside a request: ``with get_session() as session`` / ``async with get_async_session() as session``.
Engines are made on first use (:func:`get_engine`, :func:`get_async_engine`) and disposed at
shutdown. docs/database.md is the guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duck.utils.imports import lazy_exports

if TYPE_CHECKING:
    from duck.db.config import DEFAULT_DATABASE, DatabaseConfig, database_config, database_configs
    from duck.db.driver import driver_connection
    from duck.db.engines import dispose_engines, get_async_engine, get_engine
    from duck.db.models import Model
    from duck.db.sessions import get_async_session, get_session
    from duck.exceptions import DatabaseUnavailable

# name -> module. Loaded on first access: SQLAlchemy takes a fifth of a second to import, which
# projects without a database, and duck's own modules that only check for database errors, skip.
_EXPORTS = {
    "DEFAULT_DATABASE": "duck.db.config",
    "DatabaseConfig": "duck.db.config",
    "database_config": "duck.db.config",
    "database_configs": "duck.db.config",
    "dispose_engines": "duck.db.engines",
    "driver_connection": "duck.db.driver",
    "get_async_engine": "duck.db.engines",
    "get_engine": "duck.db.engines",
    "Model": "duck.db.models",
    "get_async_session": "duck.db.sessions",
    "get_session": "duck.db.sessions",
    "DatabaseUnavailable": "duck.exceptions",
}
__all__ = [
    "DEFAULT_DATABASE",
    "DatabaseConfig",
    "DatabaseUnavailable",
    "Model",
    "database_config",
    "database_configs",
    "dispose_engines",
    "driver_connection",
    "get_async_engine",
    "get_async_session",
    "get_engine",
    "get_session",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
