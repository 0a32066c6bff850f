"""``duck db makemigrations|migrate|downgrade|history|current``: the project's migrations, through Alembic."""

from __future__ import annotations

import argparse

from duck.cli.project import configure_settings


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="Database migrations: makemigrations, migrate, downgrade, history, current.",
        description=(
            "Manage the project's database schema with Alembic migrations kept in its migrations/ folder. "
            "The database is DATABASES['default'] (or --database); DUCK_DATABASE_URL overrides its URL."
        ),
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    make = _action(actions, "makemigrations", "Write a migration for the changes made to the models.")
    make.add_argument("-m", "--message", required=True, help="what the migration does, e.g. 'add message table'")
    make.set_defaults(handler=_makemigrations)

    migrate = _action(actions, "migrate", "Apply migrations (all pending ones by default).")
    migrate.add_argument("target", nargs="?", default="heads", help="revision to migrate to (default: heads)")
    migrate.set_defaults(handler=_migrate)

    down = _action(actions, "downgrade", "Revert migrations (the last one by default).")
    down.add_argument("target", nargs="?", default="-1", help="revision to go back to, '-1' or 'base' (default: -1)")
    down.set_defaults(handler=_downgrade)

    _action(actions, "history", "List the migrations, newest first, and which are applied.").set_defaults(
        handler=_history
    )
    _action(actions, "current", "Show the revision the database is at.").set_defaults(handler=_current)
    return parser


def _action(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--database", default="default", metavar="ALIAS", help="a key of DATABASES (default: default)")
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    return parser


def _makemigrations(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.db.migrations import make_migration

    path = make_migration(args.message, args.database)
    if path is None:
        print("No changes detected: the models match the database.")
    else:
        print(f"Created {path}\nReview it, then apply it with: duck db migrate")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.db.migrations import migrate

    applied = migrate(args.target, args.database)
    if applied:
        for revision in applied:
            print(f"Applied {revision}")
    else:
        print("No migrations to apply.")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.db.migrations import downgrade

    reverted = downgrade(args.target, args.database)
    for revision in reverted:
        print(f"Reverted {revision}")
    if not reverted:
        print("Nothing to revert.")
    return 0


def _history(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.db.migrations import history

    lines = history(args.database)
    print("\n".join(lines) if lines else "No migrations yet: make one with duck db makemigrations -m MESSAGE")
    return 0


def _current(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.db.migrations import current

    heads = current(args.database)
    print("\n".join(heads) if heads else "None: no migration applied yet.")
    return 0
