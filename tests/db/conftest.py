"""Each data layer test runs against SQLite and against PostgreSQL (``database_url`` is parametrized)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from duck.db import Model, dispose_engines
from duck.test import override_settings
from tests.db import models  # noqa: F401 - registers the test tables on Model.metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[str]:
    """DATABASES pointing at a fresh database holding the test tables; ROOT_URLCONF the test views."""
    from sqlalchemy import create_engine

    from duck.db.config import DatabaseConfig

    engine = create_engine(DatabaseConfig("default", database_url).sync_url())
    Model.metadata.create_all(engine)
    engine.dispose()
    with override_settings(DATABASES={"default": {"URL": database_url}}, ROOT_URLCONF="tests.db.urls"):
        yield database_url
        await dispose_engines()  # this loop's async engines and pools, before the override forgets them


@pytest.fixture(autouse=True)
async def _close_async_engines():
    """Async engines live per event loop: close this test's before pytest-asyncio closes its loop."""
    yield
    from duck.db.engines import dispose_async_engines

    await dispose_async_engines()
