"""``duck shell``: Python with the project loaded: settings, models and a database session at hand."""

from __future__ import annotations

import argparse
import code
import sys
from typing import Any

from duck.cli.project import configure_settings


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "shell",
        help="Start Python with settings, models and a database session ready (IPython if installed).",
        description=(
            "An interactive Python shell inside the project: settings loaded, the models of MODELS imported "
            "by name, 'session' a database session on the default database, and select, get_session and "
            "get_async_session at hand. IPython is used when it is installed. Code given with -c, or piped "
            "on standard input, is run instead of the prompt."
        ),
    )
    parser.add_argument("-c", "--command", metavar="CODE", help="run CODE and exit")
    parser.add_argument("--plain", action="store_true", help="the standard Python prompt even if IPython is there")
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def namespace() -> dict[str, Any]:
    """The shell's globals: settings, every model by class name, session helpers and ``session``."""
    from sqlalchemy import select

    from duck.conf import settings
    from duck.db import Model, get_async_session, get_session
    from duck.db.config import database_configs
    from duck.db.migrations import load_models

    load_models()
    names: dict[str, Any] = {
        "settings": settings,
        "Model": Model,
        "select": select,
        "get_session": get_session,
        "get_async_session": get_async_session,
    }
    for mapper in Model.registry.mappers:
        names.setdefault(mapper.class_.__name__, mapper.class_)
    if "default" in database_configs():
        names["session"] = get_session()
    return names


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.cli.project import check_project

    check_project()
    names = namespace()
    try:
        if args.command is not None:
            exec(compile(args.command, "<duck shell -c>", "exec"), names)
        elif not sys.stdin.isatty():
            exec(compile(sys.stdin.read(), "<stdin>", "exec"), names)
        else:
            _interact(names, plain=args.plain)
    finally:
        session = names.get("session")
        if session is not None:
            session.close()
    return 0


def _interact(names: dict[str, Any], *, plain: bool) -> None:
    shown = ", ".join(sorted(name for name in names if not name.startswith("_")))
    banner = f"duck shell: {shown}"
    if not plain:
        try:
            from IPython import start_ipython
        except ImportError:
            pass
        else:
            print(banner)
            start_ipython(argv=[], user_ns=names)
            return
    code.interact(banner=banner, local=names, exitmsg="")
