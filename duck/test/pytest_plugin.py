"""duck's pytest plugin, loaded by pytest wherever duck is installed (the ``pytest11`` entry point).

What makes ``pytest`` inside a project made by ``duck startproject`` pass with nothing added:

- the ``duck_settings`` ini option names the settings module (``DUCK_SETTINGS_MODULE``, unless
  the environment already sets it), as pytest-django's ``DJANGO_SETTINGS_MODULE`` option does;
  without it, a project folder (one with ``settings.py`` at pytest's root) uses its ``settings``,
  as ``duck`` commands do;
- the test clients' Host, ``testserver``, is allowed for the whole session
  (:func:`duck.test.setup_test_environment`), as Django's test runner allows it;
- ``async def`` tests run, each in a fresh event loop, when no async plugin (pytest-asyncio,
  anyio) has taken them: a project needs no extra package for ``AsyncClient`` tests.

And the database. Every database in ``DATABASES`` is replaced for the whole run by a test database
of its own (:func:`duck.db.testing.databases_for_tests`: a new SQLite file in a temporary folder, or
``test_<name>`` on the same server, or ``"TEST": {"URL": ...}``), so tests never touch the
development database. Its schema is made once, from the project's migrations, by the first test
that asks for one of these fixtures:

``db``
    A :class:`sqlalchemy.orm.Session` in a transaction rolled back after the test. ``get_session()``
    and ``request.db`` (through :class:`~duck.test.Client`) join that transaction, so views see what
    the test wrote, the test sees what views wrote, and nothing is left for the next test.
``async_db``
    The same for async tests: an ``AsyncSession``; ``get_async_session()`` and ``request.async_db``
    (through :class:`~duck.test.AsyncClient`) join it. It is opened in the test's own event loop,
    whichever plugin runs the test, so only ``async def`` tests may ask for it.
``transactional_db`` / ``async_transactional_db``
    For code that uses both kinds of session (a sync login view, then a WebSocket that writes with
    async sessions): a plain ``Session`` / ``AsyncSession``; everything is committed for real, and
    every table is emptied after the test.
``duck_db_schema``
    The schema alone (session scope), for tests that reach the database some other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import pytest

from duck.conf import ENVIRONMENT_VARIABLE
from duck.test.utils import setup_test_environment, teardown_test_environment

# Markers of the async plugins whose tests this plugin leaves alone.
_OTHER_ASYNC_MARKERS = ("asyncio", "anyio", "trio")
_ASYNCIO_FIXTURE_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    parser.addini(
        "duck_settings",
        help="duck settings module for the tests (sets DUCK_SETTINGS_MODULE unless the environment does)",
        default="",
    )
    # A new project's pyproject.toml sets pytest-asyncio's option (its newer releases warn when it is
    # unset); without pytest-asyncio, pytest would warn that the option is unknown. So it is declared
    # here as pytest-asyncio declares it, unless pytest-asyncio is loaded (when it is loaded after
    # duck, its declaration replaces this one).
    if not pluginmanager.has_plugin("asyncio"):
        parser.addini(
            _ASYNCIO_FIXTURE_LOOP_SCOPE,
            type="string",
            help="read by pytest-asyncio when installed: default event loop scope of async fixtures",
            default=None,
        )


def pytest_configure(config: pytest.Config) -> None:
    module = config.getini("duck_settings")
    if not os.environ.get(ENVIRONMENT_VARIABLE):
        root = str(config.rootpath)
        if module:
            os.environ[ENVIRONMENT_VARIABLE] = str(module)
        elif os.path.isfile(os.path.join(root, "settings.py")):
            os.environ[ENVIRONMENT_VARIABLE] = "settings"
            if root not in sys.path:
                sys.path.insert(0, root)
    setup_test_environment()


def pytest_unconfigure(config: pytest.Config) -> None:
    teardown_test_environment()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Let async tests enter their async fixtures (``async_db``) inside the loop that runs them."""
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and not _ASYNC_FIXTURES.isdisjoint(item.fixturenames)
        ):
            item.obj = _entering_async_fixtures(item.obj)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test to completion in a new event loop, unless another plugin owns it."""
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    if any(pyfuncitem.get_closest_marker(name) for name in _OTHER_ASYNC_MARKERS):
        return None
    arguments: dict[str, Any] = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(function(**arguments))
    return True


# -- database fixtures ---------------------------------------------------------------------------------
class AsyncFixture:
    """The value of an async fixture until the test's loop runs: it is entered there (see above)."""

    def __init__(self, make: Callable[[], contextlib.AbstractAsyncContextManager[Any]]) -> None:
        self.make = make


def _entering_async_fixtures(test: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    @functools.wraps(test)
    async def run(**arguments: Any) -> None:
        async with contextlib.AsyncExitStack() as stack:
            for name, value in arguments.items():
                if isinstance(value, AsyncFixture):
                    arguments[name] = await stack.enter_async_context(value.make())
            await test(**arguments)

    return run


@pytest.fixture(scope="session", autouse=True)
def duck_test_databases() -> Iterator[dict[str, str]]:
    """Every configured database replaced by a test database for the whole run (alias -> its URL)."""
    if not os.environ.get(ENVIRONMENT_VARIABLE):  # no duck project here: nothing to replace
        yield {}
        return
    from duck.db.testing import databases_for_tests

    with databases_for_tests() as urls:
        yield urls


@pytest.fixture(scope="session")
def duck_db_schema(duck_test_databases: dict[str, str]) -> None:
    """The test database's schema, made once per session (migrations, or the models' tables)."""
    from duck.db.testing import create_schema

    create_schema()


@pytest.fixture
def db(duck_db_schema: None) -> Iterator[Any]:
    """A session whose transaction, joined by every sync session of the test, is rolled back at the end."""
    from duck.db.testing import rollback_transaction

    with rollback_transaction() as session:
        yield session


@pytest.fixture
def async_db(duck_db_schema: None) -> AsyncFixture:
    """An async session whose transaction, joined by every async session of the test, is rolled back."""
    return AsyncFixture(_async_db_session)


@pytest.fixture
def transactional_db(duck_db_schema: None) -> Iterator[Any]:
    """A session on the test database; everyone's writes are committed, and every table emptied after the test."""
    from duck.db.testing import emptied_afterwards

    with emptied_afterwards() as session:
        yield session


@pytest.fixture
def async_transactional_db(duck_db_schema: None) -> AsyncFixture:
    """:func:`transactional_db` with an ``AsyncSession``, for async tests."""
    return AsyncFixture(_async_transactional_session)


@contextlib.asynccontextmanager
async def _async_db_session() -> AsyncIterator[Any]:
    from duck.db.engines import dispose_async_engines
    from duck.db.testing import async_rollback_transaction

    try:
        async with async_rollback_transaction() as session:
            yield session
    finally:
        await dispose_async_engines()  # this test's loop closes next: so do its connections


@contextlib.asynccontextmanager
async def _async_transactional_session() -> AsyncIterator[Any]:
    from duck.db.engines import dispose_async_engines
    from duck.db.sessions import get_async_session
    from duck.db.testing import empty_tables

    try:
        async with get_async_session() as session:
            yield session
    finally:
        await dispose_async_engines()  # before emptying: no async connection may hold a lock
        empty_tables()


_ASYNC_FIXTURES = frozenset({"async_db", "async_transactional_db"})
