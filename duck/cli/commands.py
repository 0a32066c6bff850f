"""Project commands: ``commands/greet.py`` in the project folder becomes ``duck greet``.

A command module has a docstring (its first line is the help shown by ``duck --help``), an
optional ``add_arguments(parser)`` to declare its options with argparse, and ``handle(args)``,
whose return value (an int, or None for 0) is the exit status::

    \"\"\"Greet someone.\"\"\"

    def add_arguments(parser):
        parser.add_argument("name")

    def handle(args):
        print(f"Hello, {args.name}!")

Settings are loaded before ``handle`` runs (``--settings`` works as for every command). Modules
are only read (with ``ast``) to list them; one is imported when it is run or asked for ``--help``,
so a broken command breaks only itself. duck's own commands win over a project command of the
same name. Names starting with ``_`` are not commands.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
from pathlib import Path
from types import ModuleType

from duck.cli.project import configure_settings, describe_exception
from duck.exceptions import CommandError

COMMANDS_FOLDER = "commands"


def discover(folder: Path) -> dict[str, Path]:
    """Command name -> module file, for the ``commands/`` folder inside ``folder``."""
    commands_dir = folder / COMMANDS_FOLDER
    if not commands_dir.is_dir():
        return {}
    return {
        path.stem.replace("_", "-"): path
        for path in sorted(commands_dir.glob("*.py"))
        if not path.stem.startswith("_") and path.stem.isidentifier()
    }


def summary(path: Path) -> str:
    """The first line of the module's docstring, read without importing it."""
    try:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (SyntaxError, ValueError, OSError):
        return "(cannot be read: run it to see the error)"
    return docstring.strip().splitlines()[0] if docstring else f"project command from {COMMANDS_FOLDER}/{path.name}"


def load(name: str, path: Path) -> ModuleType:
    """Import the command module from its file.

    Raises:
        CommandError: it fails to import, or has no ``handle``.
    """
    spec = importlib.util.spec_from_file_location(f"duck_project_commands.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CommandError(f"Command {name!r} ({path}) cannot be loaded.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise CommandError(f"Command {name!r} failed to import: {describe_exception(exc)}") from exc
    if not callable(getattr(module, "handle", None)):
        raise CommandError(f"Command {name!r} ({path}) has no handle(args) function.")
    return module


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], folder: Path, invoked: str | None, taken: set[str]
) -> None:
    """Add a subcommand per project command; the invoked one imports its module to declare its arguments."""
    for name, path in discover(folder).items():
        if name in taken:
            continue
        description = None
        module = None
        if name == invoked:
            module = load(name, path)
            description = module.__doc__
        parser = subparsers.add_parser(
            name,
            help=summary(path),
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
        if module is not None:
            add_arguments = getattr(module, "add_arguments", None)
            if add_arguments is not None:
                add_arguments(parser)
            parser.set_defaults(handler=_runner(module))


def _runner(module: ModuleType) -> object:
    def run(args: argparse.Namespace) -> int:
        configure_settings(args.settings)
        status = module.handle(args)
        return 0 if status is None else int(status)

    return run
