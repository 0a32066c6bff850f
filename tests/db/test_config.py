"""DATABASES checked: drivers chosen per side, paths, the environment override, fixable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from duck.conf import settings
from duck.db.config import DatabaseConfig, database_config, database_configs
from duck.exceptions import ImproperlyConfigured
from duck.test import override_settings


@pytest.mark.parametrize(
    ("url", "sync", "async_"),
    [
        ("sqlite:///x.db", "sqlite+pysqlite", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+psycopg", "postgresql+asyncpg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg", "postgresql+asyncpg"),
    ],
)
def test_each_side_gets_a_driver_that_fits(url, sync, async_):
    config = DatabaseConfig("default", url)
    assert config.sync_url().drivername == sync
    assert config.async_url().drivername == async_


def test_relative_sqlite_paths_are_relative_to_the_settings_folder():
    from pathlib import Path

    import tests.apps.sample.settings as module

    url = DatabaseConfig("default", "sqlite:///db.sqlite3").sync_url()
    assert module.__name__ == settings.SETTINGS_MODULE
    assert url.database == str(Path(module.__file__).resolve().parent / "db.sqlite3")
    assert DatabaseConfig("default", "sqlite:////abs/x.db").sync_url().database == "/abs/x.db"
    assert DatabaseConfig("default", "sqlite://").sync_url().database is None


def test_unknown_dialect_and_missing_driver_say_what_to_do():
    with pytest.raises(ImproperlyConfigured, match="no database dialect 'nosuchdb' is known"):
        DatabaseConfig("default", "nosuchdb://x").sync_url()
    with pytest.raises(ImproperlyConfigured, match=r"needs the 'pymysql' database driver.*pip install pymysql"):
        DatabaseConfig("default", "mysql+pymysql://u@h/db").sync_url()
    with pytest.raises(ImproperlyConfigured, match="is not a database URL"):
        DatabaseConfig("default", "not a url").sync_url()


def test_malformed_databases_and_no_database():
    bad = override_settings(DATABASES={"default": "sqlite://"})
    with pytest.raises(ImproperlyConfigured, match="expected dict of str to dict"), bad:  # the settings type check
        pass
    unknown = {"default": {"URL": "sqlite://", "ENGINE": "x"}}
    with override_settings(DATABASES=unknown), pytest.raises(ImproperlyConfigured, match="unknown keys"):
        database_configs()
    with override_settings(DATABASES={}), pytest.raises(ImproperlyConfigured, match="No database is configured"):
        database_config()


def test_the_environment_variable_replaces_the_default_url(monkeypatch):
    monkeypatch.setenv("DUCK_DATABASE_URL", "postgresql://app@db/app")
    with override_settings(DATABASES={"default": {"URL": "sqlite://", "OPTIONS": {"echo": True}}}):
        config = database_config()
    assert config.url == "postgresql://app@db/app"
    assert config.options == {"echo": True}


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_POOL_SIZE", 0), ("DATABASE_MAX_OVERFLOW", -1), ("DATABASE_POOL_TIMEOUT", 0), ("MODELS", "models")],
)
def test_bad_database_settings_fail_at_load(name, value):
    with pytest.raises(ImproperlyConfigured, match=name), override_settings(**{name: value}):
        pass


def test_a_test_url_is_read_and_checked():
    with override_settings(DATABASES={"default": {"URL": "sqlite:///dev.db", "TEST": {"URL": "sqlite:///t.db"}}}):
        assert database_config().test_url == "sqlite:///t.db"
    with (
        override_settings(DATABASES={"default": {"URL": "sqlite:///dev.db", "TEST": "sqlite:///t.db"}}),
        pytest.raises(ImproperlyConfigured, match=r'\["TEST"\] must be'),
    ):
        database_configs()


def test_databases_for_tests_serve_the_test_database_and_leave_the_development_one_alone(tmp_path):
    from sqlalchemy import text

    from duck.db import get_engine
    from duck.db.testing import databases_for_tests

    dev, named = tmp_path / "dev.sqlite3", tmp_path / "named-test.sqlite3"
    for entry in ({"URL": f"sqlite:///{dev}"}, {"URL": f"sqlite:///{dev}", "TEST": {"URL": f"sqlite:///{named}"}}):
        with override_settings(DATABASES={"default": entry}):
            with databases_for_tests() as urls:
                with get_engine().begin() as connection:
                    connection.execute(text("CREATE TABLE t (id INTEGER)"))
                served = get_engine().url.database
            assert served == urls["default"].removeprefix("sqlite:///") != str(dev)
            assert not dev.exists()
            assert not Path(served).exists()  # removed at the end
            assert get_engine().url.database == str(dev)  # the redirection ended with the block
