"""duck's pytest plugin, loaded by pytest wherever duck is installed (the ``pytest11`` entry point).

What makes ``pytest`` inside a project made by ``duck startproject`` pass with nothing added:

- the ``duck_settings`` ini option names the settings module (``DUCK_SETTINGS_MODULE``, unless
  the environment already sets it), as pytest-django's ``DJANGO_SETTINGS_MODULE`` option does;
- the test clients' Host, ``testserver``, is allowed for the whole session
  (:func:`duck.test.setup_test_environment`), as Django's test runner allows it;
- ``async def`` tests run, each in a fresh event loop, when no async plugin (pytest-asyncio,
  anyio) has taken them: a project needs no extra package for ``AsyncClient`` tests.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any

import pytest

from duck.conf import ENVIRONMENT_VARIABLE
from duck.test.utils import setup_test_environment, teardown_test_environment

# Markers of the async plugins whose tests this plugin leaves alone.
_OTHER_ASYNC_MARKERS = ("asyncio", "anyio", "trio")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "duck_settings",
        help="duck settings module for the tests (sets DUCK_SETTINGS_MODULE unless the environment does)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    module = config.getini("duck_settings")
    if module and not os.environ.get(ENVIRONMENT_VARIABLE):
        os.environ[ENVIRONMENT_VARIABLE] = str(module)
    setup_test_environment()


def pytest_unconfigure(config: pytest.Config) -> None:
    teardown_test_environment()


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
