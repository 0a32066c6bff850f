"""duck's pytest plugin (loaded automatically once duck is installed): database fixtures.

``db``
    A :class:`sqlalchemy.orm.Session` in a transaction rolled back after the test. ``get_session()``
    and ``request.db`` (through :class:`~duck.test.Client`) join that transaction, so views see what
    the test wrote, the test sees what views wrote, and nothing is left for the next test.
``async_db``
    The same for async tests: an ``AsyncSession``; ``get_async_session()`` and ``request.async_db``
    (through :class:`~duck.test.AsyncClient`) join it.

The schema is brought up to date once per test session (the project's migrations, or its models
when it has none), on the database of the test settings: point ``DATABASES`` (or
``DUCK_DATABASE_URL``) at a test database, never at production's.

When pytest runs in a project folder (one with ``settings.py``) and ``DUCK_SETTINGS_MODULE`` is not
set, the plugin sets it to ``settings`` and puts the folder on ``sys.path``, as ``duck`` commands do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

try:  # async fixtures need pytest-asyncio's decorator in its strict mode (its default)
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio, async tests cannot run anyway
    async_fixture = pytest.fixture  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    root = str(config.rootpath)
    if not os.environ.get("DUCK_SETTINGS_MODULE") and os.path.isfile(os.path.join(root, "settings.py")):
        os.environ["DUCK_SETTINGS_MODULE"] = "settings"
        if root not in sys.path:
            sys.path.insert(0, root)


@pytest.fixture(scope="session")
def duck_db_schema() -> None:
    """The test database's schema, made once per session (migrations, or the models' tables)."""
    from duck.db.testing import create_schema

    create_schema()


@pytest.fixture
def db(duck_db_schema: None) -> Iterator[Any]:
    """A session whose transaction, joined by every sync session of the test, is rolled back at the end."""
    from duck.db.testing import rollback_transaction

    with rollback_transaction() as session:
        yield session


@async_fixture
async def async_db(duck_db_schema: None) -> AsyncIterator[Any]:
    """An async session whose transaction, joined by every async session of the test, is rolled back."""
    from duck.db.engines import dispose_async_engines
    from duck.db.testing import async_rollback_transaction

    try:
        async with async_rollback_transaction() as session:
            yield session
    finally:
        await dispose_async_engines()  # this test's loop closes next: so do its connections
