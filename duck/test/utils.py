"""Test helpers around settings: temporary overrides and the test environment.

::

    @override_settings(DEBUG=True)
    def test_debug_page(): ...

    @override_settings(DEBUG=True)
    async def test_debug_page_async(): ...

    with override_settings(SERVER_MAX_BODY_SIZE=10):
        ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

from duck.conf import settings
from duck.http.request import TEST_HOSTS

__all__ = ["override_settings", "setup_test_environment", "teardown_test_environment"]

F = TypeVar("F", bound=Callable[..., Any])

# The Host the test clients send by default (the name Django's test client uses too).
TEST_HOST = "testserver"


class SettingsOverride:
    """Settings replaced while a ``with`` block, a decorated function, or a decorated class's tests run.

    Built on :meth:`duck.conf.LazySettings.override`, so everything derived from settings
    (URL resolver, middleware chain, thread pool) is rebuilt on entry and again on exit.
    Re-entrant: each entry takes its own override, so one instance can decorate many functions.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._active: list[AbstractContextManager[None]] = []

    def __enter__(self) -> None:
        override = settings.override(**self.options)
        override.__enter__()
        self._active.append(override)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._active.pop().__exit__(exc_type, exc, tb)

    def __call__(self, target: F) -> F:
        if isinstance(target, type):
            return self._decorate_class(target)  # type: ignore[return-value]
        return self._decorate_function(target)

    def _decorate_function(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with SettingsOverride(**self.options):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with SettingsOverride(**self.options):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _decorate_class(self, cls: type) -> type:
        """Wrap each ``test*`` method (pytest and unittest both collect those names)."""
        for name, member in list(vars(cls).items()):
            if name.startswith("test") and inspect.isfunction(member):
                setattr(cls, name, self._decorate_function(member))
        return cls


def override_settings(**options: Any) -> SettingsOverride:
    """Override settings as a context manager, or as a decorator of functions (sync or async) and classes.

    Args:
        options: UPPERCASE setting names and their temporary values.
    """
    return SettingsOverride(**options)


def setup_test_environment() -> None:
    """Allow the test clients' Host (``testserver``) whatever ``ALLOWED_HOSTS`` says, until teardown.

    duck's pytest plugin calls it when a pytest session starts (so ``pytest`` in a project just
    works); other test runners call it once at start. ``override_settings(ALLOWED_HOSTS=...)``
    does not take it away. :func:`teardown_test_environment` undoes it.
    """
    TEST_HOSTS.add(TEST_HOST)


def teardown_test_environment() -> None:
    """Undo :func:`setup_test_environment`."""
    TEST_HOSTS.discard(TEST_HOST)
