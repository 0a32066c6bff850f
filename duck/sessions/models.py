"""The table of the database session store: add ``"duck.sessions.models"`` to ``MODELS``, then migrate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from duck.db.models import Model

__all__ = ["SessionRecord"]


class SessionRecord(Model):
    """One session: its random key, its JSON record, and when it expires (naive UTC)."""

    __tablename__ = "duck_session"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    expires: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:  # never the data
        return "<SessionRecord>"
