"""The declarative base of a project's models: ``class Message(Model)``.

SQLAlchemy 2's typed declarative mapping, with one ``MetaData`` that migrations compare against.
Constraints get predictable names (the naming convention below), so a migration can later drop or
alter them by name on every database, SQLite's table-rebuilding migrations included.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["NAMING_CONVENTION", "Model"]

# Alembic's recommended convention: names are stable across databases and runs.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Base class of every model; ``Model.metadata`` holds every table (what ``duck db makemigrations`` reads).

    ::

        from sqlalchemy.orm import Mapped, mapped_column

        class Message(Model):
            __tablename__ = "message"
            id: Mapped[int] = mapped_column(primary_key=True)
            text: Mapped[str]
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        mapper = self.__mapper__
        keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
        shown = ", ".join(f"{key}={self.__dict__.get(key)!r}" for key in keys)  # never loads: safe in async code
        return f"<{type(self).__name__} {shown}>"
