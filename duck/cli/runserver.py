"""``duck runserver [ADDR:PORT]``: check the project, then serve it with duck's own server."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re

from duck.cli.project import check_project, configure_settings
from duck.db.config import DEFAULT_DATABASE
from duck.db.config import ENVIRONMENT_VARIABLE as DATABASE_URL_VARIABLE
from duck.exceptions import CommandError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_ADDRPORT_HELP = "8000, 0.0.0.0:8000 or [::1]:8000"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "runserver",
        help="Serve the project (HTTP and WebSockets).",
        description=(
            "Check the project (settings and URL conf), then serve it. Run it inside a folder made by "
            "'duck startproject', or name the settings with --settings."
        ),
    )
    parser.add_argument(
        "addrport",
        nargs="?",
        default=f"{DEFAULT_HOST}:{DEFAULT_PORT}",
        metavar="ADDR:PORT",
        help=f"where to listen: {_ADDRPORT_HELP} (default: {DEFAULT_HOST}:{DEFAULT_PORT})",
    )
    parser.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="worker processes (default: 1)")
    parser.add_argument("--reload", action="store_true", help="restart when a .py or .html file changes")
    parser.add_argument(
        "--certfile",
        metavar="PATH",
        help="serve https:// and wss:// with this PEM certificate chain (default: SERVER_CERTFILE)",
    )
    parser.add_argument(
        "--keyfile",
        metavar="PATH",
        help="the certificate's PEM private key, unless the certificate file holds it (default: SERVER_KEYFILE)",
    )
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_addrport(text: str) -> tuple[str, int]:
    """``"8000"`` -> ``("127.0.0.1", 8000)``; ``"0.0.0.0:8000"``; ``"[::1]:8000"`` -> ``("::1", 8000)``.

    Raises:
        CommandError: not one of those forms, an invalid address, or a port outside 1-65535.
    """
    if text.isdigit():
        return DEFAULT_HOST, _port(text, text)
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep or not _is_ipv6(host):
            raise CommandError(f"{text!r} is not a valid [IPv6]:PORT; for example [::1]:8000.")
        return host, _port(port, text)
    host, sep, port = text.rpartition(":")
    if not sep or ":" in host:
        hint = " (put IPv6 addresses in brackets, e.g. [::1]:8000)" if text.count(":") > 1 else ""
        raise CommandError(f"{text!r} is not a port or ADDR:PORT; use {_ADDRPORT_HELP}{hint}.")
    if not _HOSTNAME.match(host):
        raise CommandError(f"{host!r} is not a valid address or host name.")
    return host, _port(port, text)


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise CommandError(f"{whole!r}: the port must be a number from 1 to 65535.")
    return int(text)


def migration_warnings() -> list[str]:
    """What ``duck check`` would say about migrations: not applied, or model changes without one.

    Shown under the banner: a page would otherwise fail at its first query ("no such column")
    with nothing said before.
    """
    from duck.conf import settings

    if DEFAULT_DATABASE not in settings.DATABASES and not os.environ.get(DATABASE_URL_VARIABLE):
        return []
    from duck.cli.check import migration_problems

    return migration_problems(DEFAULT_DATABASE)


def handle(args: argparse.Namespace) -> int:
    host, port = parse_addrport(args.addrport)
    configure_settings(args.settings)
    # Imported late: `duck --help` and `duck startproject` should not pay for the server.
    from duck.server import run
    from duck.server.reload import is_reloader_child

    warnings: list[str] = []
    if not args.reload or is_reloader_child():
        # The reloader's parent never imports the project: its child checks, and a broken
        # project then waits for the next file change instead of ending the command.
        check_project()
        warnings = migration_warnings()

    try:
        run(
            host,
            port,
            workers=args.workers,
            reload=args.reload,
            certfile=args.certfile,
            keyfile=args.keyfile,
            warnings=warnings,
        )
    except KeyboardInterrupt:  # CONTROL-C before the server installed its own handler
        pass
    return 0
