"""The ``duck`` command line: ``startproject``, ``runserver``, ``db``, ``createuser``, ``shell``, ``check``...

Inside a project, every module of its ``commands/`` folder is a command too (:mod:`duck.cli.commands`).

Thin by design: each command module parses its arguments and calls into the library. Errors
that the user can fix (a bad name, a port in use, broken settings) are printed as one line,
``duck: error: ...``, with a non-zero exit status; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from duck import __version__
from duck.cli import (
    check,
    clearsessions,
    collectstatic,
    commands,
    createuser,
    db,
    routes,
    runserver,
    shell,
    startproject,
)
from duck.exceptions import CommandError, DuckError

__all__ = ["CommandError", "build_parser", "main"]

COMMANDS = (startproject, runserver, collectstatic, db, createuser, clearsessions, shell, routes, check)
# Exit status of errors the user can fix; argparse uses 2 for command-line usage errors.
ERROR_STATUS = 1


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of duck's commands and, in a project folder, of its own commands.

    Raises:
        CommandError: the invoked project command cannot be imported.
    """
    parser = argparse.ArgumentParser(
        prog="duck",
        description="duck: a Python web framework where HTTP views and WebSockets live side by side.",
        epilog="Run 'duck COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"duck {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    invoked = next((arg for arg in (sys.argv[1:] if argv is None else argv) if not arg.startswith("-")), None)
    commands.add_parsers(subparsers, Path.cwd(), invoked, taken=set(subparsers.choices))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (``python -m duck`` exits with it)."""
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return 2
        return int(handler(args))
    except DuckError as exc:  # CommandError, ImproperlyConfigured, ServerError: the user can fix these
        print(f"duck: error: {_one_line(str(exc))}", file=sys.stderr)
        return ERROR_STATUS
    except OSError as exc:  # a folder that cannot be written, a file that vanished
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"duck: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return ERROR_STATUS
    except KeyboardInterrupt:
        return 130  # 128 + SIGINT, the shell convention


def _one_line(message: str) -> str:
    return " ".join(message.split()) or "unknown error"
