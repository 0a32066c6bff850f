"""Migrations with Alembic, configured in code: the project has a ``migrations/`` folder and no alembic.ini.

The folder next to ``settings.py`` holds the revision files only; Alembic's environment
(``migration_env/env.py``, the revision template) ships with duck. ``duck db`` calls these functions:

* :func:`make_migration`: autogenerate a revision from the models in ``MODELS`` (none when nothing changed);
* :func:`migrate` / :func:`downgrade`: apply or revert revisions, all in one transaction;
* :func:`history`, :func:`current`, :func:`pending_migrations`, :func:`unmigrated_changes` for ``duck check``.

A migration that fails leaves the schema as it was: PostgreSQL runs DDL in transactions, and so
does SQLite with duck's engines (they let SQLAlchemy issue ``BEGIN``, so ``CREATE``/``ALTER``/``DROP``
roll back too). SQLite changes most columns by rebuilding the table (Alembic's batch mode, on for
SQLite); foreign keys are checked after the rebuild instead of during it.
"""

from __future__ import annotations

import importlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from duck.conf import settings
from duck.db.config import DEFAULT_DATABASE, database_config, databases_redirected, project_dir
from duck.db.migration_files import format_migration
from duck.exceptions import ImproperlyConfigured, MigrationError

__all__ = [
    "MigrationError",
    "current",
    "downgrade",
    "history",
    "load_models",
    "make_migration",
    "migrate",
    "migrations_dir",
    "pending_migrations",
    "unmigrated_changes",
]

ENV_DIR = Path(__file__).resolve().parent / "migration_env"
MIGRATIONS_FOLDER = "migrations"


def migrations_dir() -> Path:
    """The project's ``migrations/`` folder, next to its settings module."""
    return project_dir() / MIGRATIONS_FOLDER


def load_models() -> Any:
    """Import every module in ``MODELS`` and return the metadata all models share.

    Raises:
        ImproperlyConfigured: a module fails to import.
    """
    from duck.db.models import Model

    for name in settings.MODELS:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise ImproperlyConfigured(
                f"MODELS names {name!r}, which failed to import: {type(exc).__name__}: {exc}"
            ) from exc
    return Model.metadata


def alembic_config(alias: str = DEFAULT_DATABASE, stdout: Any = None, versions: Path | None = None) -> Any:
    """Alembic's ``Config``, built in code; ``config.attributes`` carry what env.py needs.

    ``versions``: the folder of revision files (the project's ``migrations/`` by default).
    """
    import argparse

    from alembic.config import Config

    # quiet: duck's commands say what happened in their own words.
    config = Config(stdout=stdout if stdout is not None else io.StringIO(), cmd_opts=argparse.Namespace(quiet=True))
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("version_locations", str(versions or migrations_dir()))
    config.set_main_option("path_separator", "os")
    # Files sort by date: 2025_01_31_1200-3f2a9c1d0b7e_add_message.py
    config.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
    )
    config.attributes["duck_alias"] = alias
    return config


@contextmanager
def _alembic(alias: str, stdout: Any = None) -> Iterator[Any]:
    """A config for one command, with Alembic's and the driver's errors turned into :class:`MigrationError`."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    database_config(alias)  # a missing database fails here, with its own message
    try:
        yield alembic_config(alias, stdout)
    except CommandError as exc:
        raise MigrationError(str(exc)) from exc
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        raise MigrationError(
            f"{type(orig).__name__}: {str(orig).strip().splitlines()[0] if str(orig).strip() else ''} "
            "(nothing was changed: the migration ran in a transaction that was rolled back)"
        ) from exc


def make_migration(message: str, alias: str = DEFAULT_DATABASE) -> Path | None:
    """Write a revision with the differences between the models and the migrated database; None if there are none.

    Autogenerate compares the models with the database, which must be up to date. A SQLite
    database that is not (a new project, whose first migration is not applied yet) is left alone:
    the comparison is made with a scratch SQLite database brought up to date instead, so that
    ``makemigrations`` then ``migrate`` works in any order, as Django's does.

    Raises:
        ImproperlyConfigured: ``MODELS`` is empty (a migration would drop every table).
        MigrationError: a server database is behind its migrations, or Alembic failed.
    """
    from alembic import command

    if not settings.MODELS:
        raise ImproperlyConfigured(
            'MODELS is empty: list the modules that define your models, e.g. MODELS = ["models"], so that '
            "makemigrations sees them (without them it would drop every table)."
        )
    pending = pending_migrations(alias)
    if pending and not database_config(alias).is_sqlite:
        raise MigrationError(
            f"The database is not up to date ({len(pending)} migration(s) not applied): run 'duck db migrate' first."
        )
    migrations_dir().mkdir(exist_ok=True)
    with _scratch_database(alias) if pending else nullcontext(), _alembic(alias) as config:
        config.attributes["duck_skip_empty"] = True
        script = command.revision(config, message=message, autogenerate=True)
    if script is None or isinstance(script, list):
        return None
    format_migration(Path(script.path))
    return Path(script.path)


@contextmanager
def _scratch_database(alias: str) -> Iterator[None]:
    """``alias`` served from a temporary SQLite database with every migration applied."""
    from duck.db.engines import drop_engines

    with (
        tempfile.TemporaryDirectory(prefix="duck-makemigrations-") as folder,
        databases_redirected({alias: f"sqlite:///{Path(folder) / 'scratch.sqlite3'}"}),
    ):
        drop_engines()
        try:
            migrate(alias=alias)
            yield
        finally:
            drop_engines()


def migrate(target: str = "heads", alias: str = DEFAULT_DATABASE) -> list[str]:
    """Apply revisions up to ``target`` (all by default); returns the revisions applied, oldest first."""
    from alembic import command

    before = set(current(alias))
    with _alembic(alias) as config:
        command.upgrade(config, target)
    return _applied_between(before, alias)


def downgrade(target: str = "-1", alias: str = DEFAULT_DATABASE) -> list[str]:
    """Revert revisions down to ``target`` (the last one by default; ``base`` reverts them all)."""
    from alembic import command

    before = current(alias)
    with _alembic(alias) as config:
        command.downgrade(config, target)
    return [revision for revision in before if revision not in current(alias)]


def _applied_between(before: set[str], alias: str) -> list[str]:
    script = _script_directory(alias)
    applied = []
    for head in current(alias):
        for revision in script.iterate_revisions(head, "base"):
            if revision.revision in before:
                break
            applied.append(revision.revision)
    return applied[::-1]


def _script_directory(alias: str) -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(alias))


def history(alias: str = DEFAULT_DATABASE) -> list[str]:
    """One line per revision, newest first: ``<rev> <- <down> (head) message`` and whether it is applied."""
    script = _script_directory(alias)
    applied: set[str] = set()
    for head in current(alias):
        applied.update(revision.revision for revision in script.iterate_revisions(head, "base"))
    lines = []
    for revision in script.walk_revisions():
        mark = "[applied]" if revision.revision in applied else "[pending]"
        head = " (head)" if revision.is_head else ""
        lines.append(f"{mark} {revision.revision}{head} {revision.doc}")
    return lines


def current(alias: str = DEFAULT_DATABASE) -> list[str]:
    """The revisions the database is at (empty: never migrated)."""
    from alembic.migration import MigrationContext

    from duck.db.engines import get_engine

    with get_engine(alias).connect() as connection:
        return list(MigrationContext.configure(connection).get_current_heads())


def pending_migrations(alias: str = DEFAULT_DATABASE) -> list[str]:
    """Revisions in ``migrations/`` not applied to the database, oldest first."""
    if not migrations_dir().is_dir():
        return []
    script = _script_directory(alias)
    heads = current(alias)
    applied: set[str] = set()
    for head in heads:
        applied.update(revision.revision for revision in script.iterate_revisions(head, "base"))
    pending = [revision.revision for revision in script.walk_revisions() if revision.revision not in applied]
    return pending[::-1]


def unmigrated_changes(alias: str = DEFAULT_DATABASE) -> list[str]:
    """Differences between the models and the database schema, as Alembic describes them (empty: in step)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from duck.db.engines import get_engine

    metadata = load_models()
    with get_engine(alias).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    return [_describe_diff(diff) for diff in diffs]


def _describe_diff(diff: Any) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return "; ".join(_describe_diff(item) for item in diff)
    kind, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        if isinstance(name, str):
            names.append(name)
        elif isinstance(item, str):
            names.append(item)
    return f"{kind} {'.'.join(names[:2])}".strip()


# -- env.py ------------------------------------------------------------------------------------
def run_migrations(context: Any) -> None:
    """The body of env.py: run Alembic's migrations against the configured database."""
    from duck.db.engines import get_engine

    config = context.config
    alias = config.attributes.get("duck_alias", DEFAULT_DATABASE)
    metadata = load_models()
    options: dict[str, Any] = {"target_metadata": metadata, "compare_type": True}
    if config.attributes.get("duck_skip_empty"):
        options["process_revision_directives"] = _skip_empty
    engine = get_engine(alias)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Rebuilding a table (batch mode) drops it; with foreign keys on, that would cascade.
            # The pragma only works outside a transaction, so it goes to the raw connection first.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            context.configure(connection=connection, render_as_batch=sqlite, **options)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_sqlite_foreign_keys(connection)
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _skip_empty(context: Any, revision: Any, directives: list[Any]) -> None:
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def _check_sqlite_foreign_keys(connection: Any) -> None:
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if rows:
        tables = sorted({row[0] for row in rows})
        raise MigrationError(f"The migration leaves rows whose foreign keys point nowhere, in: {', '.join(tables)}.")
