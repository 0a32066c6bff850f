"""What ``DATABASES`` says, checked: one :class:`DatabaseConfig` per alias, with the URLs to use.

::

    DATABASES = {"default": {"URL": "sqlite:///db.sqlite3"}}
    DATABASES = {"default": {"URL": "postgresql://app:secret@db.internal/app", "OPTIONS": {"pool_size": 20}}}

A URL names a dialect and, optionally, a driver (``postgresql+asyncpg://``). Sync engines need a
sync driver and async engines an async one, so each side takes the URL's driver when it fits and
the dialect's default driver otherwise (:data:`SYNC_DRIVERS`, :data:`ASYNC_DRIVERS`). Relative
SQLite paths are relative to the settings module's folder, so a project works from wherever it
is started. ``DUCK_DATABASE_URL`` in the environment replaces the default database's URL.

Tests never use these databases: duck's pytest plugin points each one at a test database of its
own (``"TEST": {"URL": ...}``, or one derived from the URL, see :mod:`duck.db.testing`) through
:func:`databases_redirected`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured

DEFAULT_DATABASE = "default"
# Replaces DATABASES["default"]["URL"]: one settings file for a laptop (SQLite) and servers (PostgreSQL).
ENVIRONMENT_VARIABLE = "DUCK_DATABASE_URL"

# dialect -> driver used when the URL's own driver cannot serve that side.
SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# driver -> (module to import, what to install): for the "driver not installed" message.
DRIVER_PACKAGES = {
    "psycopg": ("psycopg", "pip install 'duckweb[postgres]' (psycopg 3)"),
    "asyncpg": ("asyncpg", "pip install 'duckweb[postgres]' (asyncpg)"),
    "psycopg2": ("psycopg2", "pip install psycopg2-binary"),
    "aiosqlite": ("aiosqlite", "pip install aiosqlite"),
    "pysqlite": ("sqlite3", "a Python built with the sqlite3 module"),
    "pymysql": ("pymysql", "pip install pymysql"),
    "mysqldb": ("MySQLdb", "pip install mysqlclient"),
    "aiomysql": ("aiomysql", "pip install aiomysql"),
    "asyncmy": ("asyncmy", "pip install asyncmy"),
}
_KEYS = {"URL", "OPTIONS", "TEST"}
# alias -> (the URL configured, the URL served instead): see databases_redirected().
_redirects: dict[str, tuple[str, str]] = {}


@dataclass(frozen=True)
class DatabaseConfig:
    """One entry of ``DATABASES``: its URL as written and the engine options that pass through."""

    alias: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    test_url: str | None = None  # "TEST": {"URL": ...}: the database tests use instead of this one

    @property
    def dialect(self) -> str:
        return str(_parse(self.url, self.alias).get_backend_name())

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def sync_url(self) -> Any:
        """The URL for ``create_engine``: a sync driver, SQLite paths made absolute.

        Raises:
            ImproperlyConfigured: unknown dialect, or the driver is not installed.
        """
        return self._url_for(is_async=False)

    def async_url(self) -> Any:
        """The URL for ``create_async_engine``: an async driver (``postgresql+asyncpg``, ``sqlite+aiosqlite``)."""
        return self._url_for(is_async=True)

    def _url_for(self, *, is_async: bool) -> Any:
        url = _parse(self.url, self.alias)
        backend = url.get_backend_name()
        dialect_cls = _dialect_class(url, self.alias)
        if "+" not in url.drivername or not _serves(dialect_cls, is_async):
            default = (ASYNC_DRIVERS if is_async else SYNC_DRIVERS).get(backend)
            if default is not None:
                url = url.set(drivername=f"{backend}+{default}")
                dialect_cls = _dialect_class(url, self.alias)
        if not _serves(dialect_cls, is_async):
            side = "an async (asyncio)" if is_async else "a sync"
            raise ImproperlyConfigured(
                f"DATABASES[{self.alias!r}]: {url.drivername!r} has no driver usable as {side} driver; "
                f"name one in the URL, e.g. {backend}+DRIVER://..."
            )
        _require_driver(url.get_driver_name(), self.alias)
        return _absolute_sqlite(url) if backend == "sqlite" else url


def _serves(dialect_cls: Any, is_async: bool) -> bool:
    if bool(getattr(dialect_cls, "is_async", False)) == is_async:
        return True
    # psycopg 3 serves both sides: SQLAlchemy picks its async dialect for async engines.
    return is_async and "get_async_dialect_cls" in vars(dialect_cls)


def _parse(text: str, alias: str) -> Any:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except ArgumentError:
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}]['URL'] = {text!r} is not a database URL; write e.g. 'sqlite:///db.sqlite3' "
            f"or 'postgresql://user:password@host/name'."
        ) from None


def _dialect_class(url: Any, alias: str) -> Any:
    from sqlalchemy.exc import NoSuchModuleError

    try:
        return url.get_dialect()
    except NoSuchModuleError:
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}]: no database dialect {url.drivername!r} is known to SQLAlchemy; "
            f"use 'sqlite' or 'postgresql' (or install the dialect's package)."
        ) from None


def _require_driver(driver: str, alias: str) -> None:
    module, install = DRIVER_PACKAGES.get(driver, (driver, f"pip install {driver}"))
    if module in sys.modules:
        return
    if importlib.util.find_spec(module) is None:
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}] needs the {driver!r} database driver, which is not installed: {install}."
        )


def _absolute_sqlite(url: Any) -> Any:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or os.path.isabs(database):
        return url
    return url.set(database=str(project_dir() / database))


def project_dir() -> Path:
    """The folder of the settings module (where ``sqlite:///db.sqlite3`` lives), else the current folder."""
    module = sys.modules.get(settings.SETTINGS_MODULE or "")
    path = getattr(module, "__file__", None)
    return Path(path).resolve().parent if path else Path.cwd()


def database_configs() -> dict[str, DatabaseConfig]:
    """Every configured database by alias, ``DUCK_DATABASE_URL`` applied.

    Raises:
        ImproperlyConfigured: ``DATABASES`` is malformed.
    """
    raw = settings.DATABASES
    if not isinstance(raw, dict):
        raise ImproperlyConfigured('DATABASES must be a dict, e.g. {"default": {"URL": "sqlite:///db.sqlite3"}}.')
    configs = {}
    for alias, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("URL"), str):
            raise ImproperlyConfigured(f'DATABASES[{alias!r}] must be a dict with a "URL" string.')
        unknown = set(entry) - _KEYS
        if unknown:
            raise ImproperlyConfigured(f"DATABASES[{alias!r}] has unknown keys {sorted(unknown)}; use URL and OPTIONS.")
        options = entry.get("OPTIONS", {})
        if not isinstance(options, dict):
            raise ImproperlyConfigured(f"DATABASES[{alias!r}]['OPTIONS'] must be a dict of create_engine() arguments.")
        configs[alias] = DatabaseConfig(alias, entry["URL"], dict(options), _test_url(alias, entry.get("TEST")))
    override = os.environ.get(ENVIRONMENT_VARIABLE)
    if override:
        previous = configs.get(DEFAULT_DATABASE)
        configs[DEFAULT_DATABASE] = (
            replace(previous, url=override) if previous else DatabaseConfig(DEFAULT_DATABASE, override)
        )
    for alias, (configured, used) in _redirects.items():
        config = configs.get(alias)
        if config is not None and config.url == configured:
            configs[alias] = replace(config, url=used)
    return configs


def _test_url(alias: str, test: Any) -> str | None:
    if test is None:
        return None
    if not isinstance(test, dict) or set(test) != {"URL"} or not isinstance(test["URL"], str):
        raise ImproperlyConfigured(
            f'DATABASES[{alias!r}]["TEST"] must be {{"URL": "..."}}: the database tests use instead of this one.'
        )
    return str(test["URL"])


@contextmanager
def databases_redirected(urls: dict[str, str]) -> Iterator[None]:
    """Serve each alias of ``urls`` from that URL instead until the block ends (tests, scratch databases).

    Only a configuration still naming the URL configured at the start is redirected: a test that
    overrides ``DATABASES`` with a database of its own gets that one. Engines already built keep
    their database: callers drop them (``engines.drop_engines``) on entering and leaving.
    """
    configs = database_configs()
    saved = dict(_redirects)
    _redirects.update({alias: (configs[alias].url, url) for alias, url in urls.items()})
    try:
        yield
    finally:
        _redirects.clear()
        _redirects.update(saved)


def database_config(alias: str = DEFAULT_DATABASE) -> DatabaseConfig:
    """The configuration of ``alias``.

    Raises:
        ImproperlyConfigured: no such database (with how to add one).
    """
    configs = database_configs()
    try:
        return configs[alias]
    except KeyError:
        if alias == DEFAULT_DATABASE:
            raise ImproperlyConfigured(
                'No database is configured: add DATABASES = {"default": {"URL": "sqlite:///db.sqlite3"}} to your '
                f"settings, or set {ENVIRONMENT_VARIABLE}."
            ) from None
        raise ImproperlyConfigured(f"No database {alias!r} in DATABASES (configured: {sorted(configs)}).") from None
