"""Settings: a lazy object over ``global_settings`` and the module in ``DUCK_SETTINGS_MODULE``.

``settings.NAME`` reads are cached on first access, so the per-request cost is one
attribute lookup. Overrides (``override_settings`` in tests, ``settings.configure``)
clear the cache and notify listeners registered with :func:`on_setting_changed`.
"""

from __future__ import annotations

import importlib
import inspect
import ipaddress
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from duck.conf import global_settings
from duck.conf.checks import check_types, warn_unknown
from duck.exceptions import ImproperlyConfigured

ENVIRONMENT_VARIABLE = "DUCK_SETTINGS_MODULE"

# Bound methods are held weakly so that registering a listener does not keep its object alive.
_listeners: list[Callable[[], Callable[[], None] | None]] = []


def on_setting_changed(callback: Callable[[], None]) -> Callable[[], None]:
    """Register ``callback`` to run whenever settings are replaced or overridden.

    Caches derived from settings (the URL resolver, the middleware chain, template
    environments) use it to rebuild themselves.
    """
    if inspect.ismethod(callback):
        _listeners.append(weakref.WeakMethod(callback))
    else:
        _listeners.append(lambda: callback)
    return callback


def _notify_listeners() -> None:
    alive = []
    for ref in _listeners:
        listener = ref()
        if listener is not None:
            alive.append(ref)
            listener()
    _listeners[:] = alive


def _defaults() -> dict[str, Any]:
    return {name: getattr(global_settings, name) for name in dir(global_settings) if name.isupper()}


def _load_module(module_name: str) -> dict[str, Any]:
    try:
        module: ModuleType = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ImproperlyConfigured(
                f"Settings module {module_name!r} could not be found. Check {ENVIRONMENT_VARIABLE} "
                f"(or --settings) and that the project folder is on sys.path."
            ) from exc
        raise ImproperlyConfigured(f"Settings module {module_name!r} failed to import: {exc}") from exc
    except Exception as exc:
        raise ImproperlyConfigured(
            f"Settings module {module_name!r} raised {type(exc).__name__} while importing: {exc}"
        ) from exc
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


class LazySettings:
    """Settings loaded on first access."""

    def __init__(self) -> None:
        self.__dict__["_values"] = None
        self.__dict__["_module_name"] = None

    # -- loading -----------------------------------------------------------------------
    def _setup(self) -> dict[str, Any]:
        module_name = os.environ.get(ENVIRONMENT_VARIABLE)
        if not module_name:
            raise ImproperlyConfigured(
                f"Settings are not configured. Set the environment variable {ENVIRONMENT_VARIABLE} "
                f"to your settings module (e.g. 'mysite.settings') or call settings.configure()."
            )
        values = _defaults()
        own = _load_module(module_name)
        warn_unknown(own, f"settings module {module_name!r}")
        values.update(own)
        self._install(values, module_name)
        return values

    def _install(self, values: dict[str, Any], module_name: str | None) -> None:
        _validate(values)
        cached = [k for k in self.__dict__ if k.isupper()]
        for key in cached:
            del self.__dict__[key]
        self.__dict__["_values"] = values
        self.__dict__["_module_name"] = module_name
        _notify_listeners()

    def configure(self, **options: Any) -> None:
        """Configure settings in code instead of from ``DUCK_SETTINGS_MODULE``."""
        values = _defaults()
        for key, value in options.items():
            if not key.isupper():
                raise ImproperlyConfigured(f"Setting {key!r} must be uppercase.")
            values[key] = value
        warn_unknown(options, "settings.configure()")
        self._install(values, None)

    @property
    def configured(self) -> bool:
        return self._values is not None

    @property
    def SETTINGS_MODULE(self) -> str | None:  # noqa: N802 - mirrors Django's attribute name
        if self._values is None:
            self._setup()
        module: str | None = self._module_name
        return module

    # -- access --------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        values = self._values if self._values is not None else self._setup()
        try:
            value = values[name]
        except KeyError:
            raise AttributeError(f"Setting {name!r} is not defined.") from None
        self.__dict__[name] = value  # cache: later reads skip __getattr__
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise ImproperlyConfigured("Settings are read-only at run time; use override_settings() in tests.")

    def as_dict(self) -> dict[str, Any]:
        """Every setting and its value, as a new dict (the DEBUG error page shows them, masked)."""
        values = self._values if self._values is not None else self._setup()
        return dict(values)

    def __contains__(self, name: str) -> bool:
        values = self._values if self._values is not None else self._setup()
        return name in values

    @contextmanager
    def override(self, **options: Any) -> Iterator[None]:
        """Temporarily replace some settings (the engine behind ``override_settings``)."""
        previous = self._values if self._values is not None else self._setup()
        module_name = self._module_name
        self._install({**previous, **options}, module_name)
        try:
            yield
        finally:
            self._install(previous, module_name)

    def __repr__(self) -> str:
        return f"<LazySettings module={self._module_name!r}>"


def _validate(values: dict[str, Any]) -> None:
    """Refuse wrong settings at load time with a message that says how to fix them.

    Types come first (every setting with a default, see :mod:`duck.conf.checks`), then the
    ranges that a type cannot say.
    """
    check_types(values)
    if values["GROUPS_MAX_BUFFER"] < 1:
        raise ImproperlyConfigured(
            f"GROUPS_MAX_BUFFER must be a number of bytes of at least 1, not {values['GROUPS_MAX_BUFFER']!r}."
        )
    for name in (
        "GROUPS_REDIS_TIMEOUT",
        "GROUPS_REDIS_BACKOFF_MAX",
        "DATABASE_POOL_TIMEOUT",
        "DATABASE_CONNECT_TIMEOUT",
    ):
        if values[name] <= 0:
            raise ImproperlyConfigured(f"{name} must be a positive number of seconds, not {values[name]!r}.")
    for name, least in (("DATABASE_POOL_SIZE", 1), ("DATABASE_MAX_OVERFLOW", 0)):
        if values[name] < least:
            raise ImproperlyConfigured(f"{name} must be a whole number of at least {least}, not {values[name]!r}.")
    bits = values["WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS"]
    if not 9 <= bits <= 15:
        raise ImproperlyConfigured(
            f"WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS must be a whole number from 9 to 15, not {bits!r} "
            "(RFC 7692 windows are 8-15 bits, and zlib compresses an 8-bit window as 9)."
        )
    _check_secret_key(values)
    _check_proxies(values["TRUSTED_PROXIES"])


# Keys that say they are placeholders: refused like an empty key when DEBUG is off.
_PLACEHOLDER_KEYS = frozenset({"", "change-me", "changeme", "secret", "insecure", "your-secret-key"})


def _check_secret_key(values: dict[str, Any]) -> None:
    """With DEBUG off, refuse to start with a key that anyone could guess (it signs sessions and tokens)."""
    if values["DEBUG"] or values["SECRET_KEY"].strip().lower() not in _PLACEHOLDER_KEYS:
        return
    raise ImproperlyConfigured(
        "SECRET_KEY is empty or a placeholder, and DEBUG is off: anyone could forge sessions and tokens. Generate "
        'a key with python -c "import secrets; print(secrets.token_urlsafe(50))" and set SECRET_KEY (e.g. from '
        "an environment variable: SECRET_KEY = os.environ['DUCK_SECRET_KEY'])."
    )


def _check_proxies(entries: list[str]) -> None:
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address or network: write e.g. '127.0.0.1', "
                "'10.0.0.0/8' or '::1' (host names are not resolved)."
            ) from None


settings = LazySettings()
