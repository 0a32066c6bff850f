"""``duck check``: find what would break the project, one line per finding, without serving it.

Checked: the settings load (and the warnings they log, such as a probable typo in a setting's
name); the URL conf imports and compiles; template and static folders exist; every ``url("name")``
in the templates names a route; lifecycle hooks and model modules import; every database answers;
the default database has every migration applied and no model change without a migration.

Each finding is an error (the project would fail) or a warning (probably a mistake). The exit status
is 1 when a finding is at least ``--fail-level`` (ERROR by default; WARNING as Django's
``check --fail-level WARNING``), else 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from duck.cli.project import configure_settings, describe_exception
from duck.exceptions import DuckError


class Level(IntEnum):
    """How bad a finding is; the numbers are logging's, so a logged record maps onto them."""

    WARNING = logging.WARNING
    ERROR = logging.ERROR


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``error: urls: the URL conf 'urls' failed to load: ...``."""

    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.level.name.lower()}: {self.message}"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="Check settings, URLs, templates, databases and migrations; one line per finding.",
        description=(
            "Check the project without serving it: settings, URL conf, template and static folders, route "
            "names in templates, lifecycle hooks, models, database connections, unapplied migrations and model "
            "changes that have no migration yet. Prints one line per error or warning and exits with status 1 "
            "if any is at least --fail-level."
        ),
    )
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.add_argument(
        "--fail-level",
        type=str.upper,
        choices=[level.name for level in sorted(Level, reverse=True)],
        default=Level.ERROR.name,
        help="exit with status 1 on findings at least this bad (default: ERROR; WARNING fails on warnings too)",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    findings = run_checks()
    if not findings:
        print("No problems found.")
        return 0
    for finding in sorted(findings, key=lambda finding: -finding.level):  # errors first, each kind in check order
        print(finding)
    print(f"{summary(findings)} found.", file=sys.stderr)
    return 1 if any(finding.level >= Level[args.fail_level] for finding in findings) else 0


def summary(findings: list[Finding]) -> str:
    """``2 errors, 1 warning``: each level that has findings, worst first."""
    counts = [(level, sum(finding.level == level for finding in findings)) for level in sorted(Level, reverse=True)]
    return ", ".join(f"{count} {level.name.lower()}{'s' if count != 1 else ''}" for level, count in counts if count)


def run_checks() -> list[Finding]:
    """Everything found, in the order checked (empty: all good).

    Warnings duck logs meanwhile (``Unknown setting ALLOWED_HOST ...: did you mean ALLOWED_HOSTS?``
    when the settings load) are findings too, reported here instead of on the log.
    """
    found: list[Finding] = []
    with _logged_findings(found):
        settings_errors = list(_errors(_check_settings()))
        found.extend(settings_errors)
        if settings_errors:
            return found  # nothing else can be checked without settings
        urlconf_errors = list(_errors(_check_urlconf()))
        found.extend(urlconf_errors)
        template_urls = [] if urlconf_errors else [_check_template_urls]  # without routes, every name is unknown
        for check in (_check_folders, *template_urls, _check_hooks, _check_models, _check_databases):
            found.extend(_errors(check()))
    return found


def _errors(messages: Iterable[str]) -> Iterator[Finding]:
    return (Finding(Level.ERROR, message) for message in messages)


@contextmanager
def _logged_findings(found: list[Finding]) -> Iterator[None]:
    """Records of duck's loggers at WARNING and above become findings, and are not printed as logs."""
    logger = logging.getLogger("duck")
    collector = _Collector(found)
    propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


class _Collector(logging.Handler):
    def __init__(self, found: list[Finding]) -> None:
        super().__init__(logging.WARNING)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        level = Level.ERROR if record.levelno >= logging.ERROR else Level.WARNING
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {describe_exception(record.exc_info[1])}"
        self.found.append(Finding(level, _one_line(message)))


def _check_settings() -> Iterable[str]:
    from duck.conf import settings

    try:
        settings.SETTINGS_MODULE  # noqa: B018 - the first read imports and validates the settings module
    except DuckError as exc:
        yield f"settings: {_one_line(str(exc))}"


def _check_urlconf() -> Iterable[str]:
    from duck.conf import settings
    from duck.urls import get_resolver

    try:
        get_resolver().table  # noqa: B018 - imports the URL conf and compiles every route
    except Exception as exc:
        yield f"urls: the URL conf {settings.ROOT_URLCONF!r} failed to load: {_one_line(describe_exception(exc))}"


def _check_template_urls() -> Iterable[str]:
    from duck.template.checks import template_problems

    try:
        problems = template_problems()
    except Exception as exc:
        yield f"templates: {_one_line(describe_exception(exc))}"
        return
    for problem in problems:
        yield str(problem)


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
