"""``duck clearsessions``: delete expired sessions from a store that keeps them (``SESSION_STORE = "database"``).

Rows of expired sessions are never read again, but stay in the ``duck_session`` table until
deleted: run this daily (cron, a systemd timer), as Django's command of the same name. The
signed-cookie and Redis stores need nothing: their sessions expire by themselves.
"""

from __future__ import annotations

import argparse

from duck.cli.project import configure_settings
from duck.exceptions import CommandError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "clearsessions",
        help="Delete expired sessions (SESSION_STORE = 'database'; run it daily).",
        description="Delete the expired sessions of SESSION_STORE. The 'database' store keeps them until this "
        "runs; the 'cookie' and 'redis' stores expire them by themselves.",
    )
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from duck.conf import settings
    from duck.sessions.stores import get_store

    try:
        cleared = get_store().clear_expired()
    except (OperationalError, ProgrammingError) as exc:
        raise CommandError(
            f"The sessions table cannot be read ({type(exc.orig).__name__}): add 'duck.sessions.models' to MODELS, "
            "then run 'duck db makemigrations' and 'duck db migrate'."
        ) from None
    if cleared is None:
        print(f"SESSION_STORE = {settings.SESSION_STORE!r} expires sessions by itself: nothing to clear.")
    else:
        print(f"Deleted {cleared} expired session{'' if cleared == 1 else 's'}.")
    return 0
