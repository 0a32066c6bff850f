"""``duck collectstatic``: copy every static file into ``STATIC_ROOT``."""

from __future__ import annotations

import argparse
import sys

from duck.cli.project import configure_settings
from duck.exceptions import CommandError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "collectstatic",
        help="Copy static files into STATIC_ROOT for a web server.",
        description=(
            "Copy every file of STATICFILES_DIRS into STATIC_ROOT (first folder wins on duplicates), "
            "so a web server such as nginx can serve them. Unchanged files are skipped."
        ),
    )
    parser.add_argument("--noinput", "--no-input", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--clear", action="store_true", help="empty STATIC_ROOT first (removes stale files)")
    parser.add_argument(
        "--compress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write .gz/.br/.zst next to each compressible file (default: STATICFILES_COMPRESS)",
    )
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def _confirm(root: str, clear: bool) -> bool:
    action = "delete everything in" if clear else "copy static files into (overwriting changed files)"
    answer = input(f"This will {action} {root}.\nType 'yes' to continue, or anything else to cancel: ")
    return answer.strip().lower() == "yes"


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    from duck.staticfiles import collect, static_root

    root = static_root()  # fails with a clear message before asking anything
    if not args.noinput:
        if not sys.stdin.isatty():
            raise CommandError("collectstatic needs confirmation; pass --noinput when running without a terminal.")
        if not _confirm(str(root), args.clear):
            print("Cancelled.")
            return 1
    result = collect(clear=args.clear, compress=args.compress)
    for folder in result.missing_dirs:
        print(f"Warning: the STATICFILES_DIRS folder {folder} does not exist; skipped.", file=sys.stderr)
    if result.cleared:
        print(f"Deleted {result.cleared} file{'s' if result.cleared != 1 else ''} from {root}.")
    copied, unmodified = len(result.copied), len(result.unmodified)
    print(f"{copied} static file{'s' if copied != 1 else ''} copied to {root}, {unmodified} unmodified.")
    if result.compressed:
        count = len(result.compressed)
        print(f"{count} pre-compressed file{'s' if count != 1 else ''} written (.gz, .br, .zst).")
    return 0
