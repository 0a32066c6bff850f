"""Models of the data layer tests (their tables are created in each test database)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from duck.db import Model


class Note(Model):
    __tablename__ = "test_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Tag(Model):
    __tablename__ = "test_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("test_note.id"))
