"""``duck createuser USERNAME``: add a user to the project's database (the password from a prompt).

``--password-stdin`` reads the password from standard input instead (one line), for scripts::

    printf '%s\\n' "$PASSWORD" | duck createuser admin --staff --password-stdin

The password is never taken from the command line, where other users could see it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from duck.cli.project import configure_settings
from duck.exceptions import CommandError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "createuser",
        help="Create a user who can log in (the password is asked for).",
        description="Create a user of AUTH_USER_MODEL in the default database. The password is read from a "
        "prompt (typed twice), or from standard input with --password-stdin.",
    )
    parser.add_argument("username", help="the new user's username (or email, if USERNAME_FIELD is email)")
    parser.add_argument("--email", help="the user's email address")
    parser.add_argument("--staff", action="store_true", help="mark the user as staff (is_staff)")
    parser.add_argument("--superuser", action="store_true", help="mark the user as superuser (and staff)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("--password-stdin: standard input is empty; send the password on one line.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password: use --password-stdin.")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise CommandError("The two passwords differ; nothing was created.")
    return password


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from duck.auth.users import create_user

    password = _password(args.password_stdin)
    fields = {"is_staff": args.staff or args.superuser, "is_superuser": args.superuser}
    try:
        user = create_user(args.username, password, email=args.email, **fields)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        raise CommandError(f"The users table cannot be written ({type(exc.orig).__name__}): {_what_to_run()}") from None
    print(f"Created user {user.get_username()!r}{' (staff)' if user.is_staff else ''}.")
    return 0


def _what_to_run() -> str:
    from duck.db.migrations import pending_migrations

    try:
        pending = pending_migrations()
    except Exception:  # the database itself is the problem: the first advice still holds
        pending = []
    if pending:
        return "run 'duck db migrate' first."
    return "run 'duck db makemigrations' and 'duck db migrate' first (MODELS must list the user model's module)."
