"""The `accounts` fixture: the accounts test project (tests/auth/project) on a fresh SQLite database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duck.auth.throttle import login_throttle
from duck.test import override_settings
from tests.auth.project import settings as project_settings

PROJECT_SETTINGS = {name: value for name, value in vars(project_settings).items() if name.isupper()}


def make_tables(url: str) -> None:
    from sqlalchemy import create_engine

    from duck.auth.models import User
    from duck.db.config import DatabaseConfig
    from duck.sessions.models import SessionRecord

    engine = create_engine(DatabaseConfig("default", url).sync_url())
    for model in (User, SessionRecord):
        model.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    engine.dispose()


@pytest.fixture
def accounts(tmp_path) -> Iterator[str]:
    """The project's settings in force, with its database in a temporary file holding users and sessions."""
    from duck.db.engines import dispose_engines_sync

    url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    make_tables(url)
    login_throttle.reset()
    with override_settings(**{**PROJECT_SETTINGS, "DATABASES": {"default": {"URL": url}}}):
        yield url
        dispose_engines_sync()
    login_throttle.reset()
