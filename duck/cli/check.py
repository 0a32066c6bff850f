"""``duck check``: find what would break the project, one line per problem, without serving it.

Checked: the settings load; the URL conf imports and compiles; template and static folders exist;
lifecycle hooks and model modules import; every database answers; the default database has every
migration applied and no model change without a migration. Exit status 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from duck.cli.project import configure_settings, describe_exception
from duck.exceptions import DuckError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="Check settings, URLs, templates, databases and migrations; one line per problem.",
        description=(
            "Check the project without serving it: settings, URL conf, template and static folders, "
            "lifecycle hooks, models, database connections, unapplied migrations and model changes that "
            "have no migration yet. Prints one line per problem and exits with status 1 if there is any."
        ),
    )
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    problems = run_checks()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found.", file=sys.stderr)
        return 1
    print("No problems found.")
    return 0


def run_checks() -> list[str]:
    """Every problem found, as one-line messages (empty: all good)."""
    from duck.conf import settings

    try:
        settings.SETTINGS_MODULE  # noqa: B018 - the first read imports and validates the settings module
    except DuckError as exc:
        return [f"settings: {_one_line(str(exc))}"]
    problems: list[str] = []
    for check in (_check_urlconf, _check_folders, _check_hooks, _check_models, _check_databases):
        problems.extend(check())
    return problems


def _check_urlconf() -> Iterable[str]:
    from duck.conf import settings
    from duck.urls import get_resolver

    try:
        get_resolver().table  # noqa: B018 - imports the URL conf and compiles every route
    except Exception as exc:
        yield f"urls: the URL conf {settings.ROOT_URLCONF!r} failed to load: {_one_line(describe_exception(exc))}"


def _check_folders() -> Iterable[str]:
    from duck.conf import settings

    for index, engine in enumerate(settings.TEMPLATES):
        for folder in engine.get("DIRS", []):
            if not Path(folder).is_dir():
                yield f"templates: TEMPLATES[{index}]['DIRS'] names {str(folder)!r}, which is not a folder."
    for folder in settings.STATICFILES_DIRS:
        path = folder[1] if isinstance(folder, (tuple, list)) else folder
        if not Path(path).is_dir():
            yield f"static files: STATICFILES_DIRS names {str(path)!r}, which is not a folder."


def _check_hooks() -> Iterable[str]:
    from duck.conf import settings
    from duck.utils.imports import import_string

    for name in ("ON_STARTUP", "ON_SHUTDOWN", "MIDDLEWARE"):
        for path in getattr(settings, name):
            if not isinstance(path, str):
                continue
            try:
                import_string(path)
            except Exception as exc:
                yield f"{name}: {path!r} cannot be imported: {_one_line(describe_exception(exc))}"


def _check_models() -> Iterable[str]:
    from duck.db.migrations import load_models

    try:
        load_models()
    except DuckError as exc:
        yield f"models: {_one_line(str(exc))}"


def _check_databases() -> Iterable[str]:
    from duck.db.config import DEFAULT_DATABASE, database_configs

    try:
        configs = database_configs()
    except DuckError as exc:
        yield f"databases: {_one_line(str(exc))}"
        return
    for alias in configs:
        problem = _reach(alias)
        if problem is not None:
            yield problem
        elif alias == DEFAULT_DATABASE:
            yield from _check_migrations(alias)


def _reach(alias: str) -> str | None:
    try:
        from sqlalchemy import text

        from duck.db.engines import get_engine

        with get_engine(alias).connect() as connection:
            connection.execute(text("SELECT 1"))
    except DuckError as exc:
        return f"database {alias!r}: {_one_line(str(exc))}"
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc
        return f"database {alias!r} is unreachable: {type(cause).__name__}: {_one_line(str(cause))}"
    return None


def migration_problems(alias: str) -> list[str]:
    """What is wrong with the migrations of ``alias`` (runserver warns about it at start)."""
    return list(_check_migrations(alias))


def _check_migrations(alias: str) -> Iterable[str]:
    from duck.conf import settings
    from duck.db.migrations import pending_migrations, unmigrated_changes

    pending = _guarded(lambda: pending_migrations(alias), "migrations")
    if isinstance(pending, str):
        yield pending
        return
    if pending:
        count = len(pending)
        yield (
            f"migrations: {count} migration{'s' if count != 1 else ''} not applied to database {alias!r} "
            f"({', '.join(pending)}): run 'duck db migrate'."
        )
        return  # the schema is behind its migrations: comparing it with the models would only repeat them
    if not settings.MODELS:
        return
    changes = _guarded(lambda: unmigrated_changes(alias), "models")
    if isinstance(changes, str):
        yield changes
    elif changes:
        yield (
            f"models: changes without a migration ({'; '.join(changes)}): "
            "run 'duck db makemigrations -m MESSAGE', then 'duck db migrate'."
        )


def _guarded(function: Callable[[], list[str]], area: str) -> list[str] | str:
    try:
        return function()
    except Exception as exc:
        return f"{area}: {_one_line(describe_exception(exc))}"


def _one_line(message: str) -> str:
    return " ".join(message.split())
