"""``duck startproject NAME [DIR]``: create a project folder from ``project_template/``.

Files ending in ``-tpl`` are rendered (``{{ project_name }}``, ``{{ secret_key }}`` and
``{{ duck_version }}`` replaced; the suffix dropped, so ``settings.py-tpl`` becomes
``settings.py``); every other file is copied byte for byte, which keeps Jinja syntax in
``templates/`` intact. Nothing is ever overwritten. Last, the project's first migration is
written: the tables of duck's own models (users), so ``duck db migrate`` makes them.
"""

from __future__ import annotations

import argparse
import importlib.util
import keyword
import os
import secrets
import sys
import sysconfig
from pathlib import Path

from duck import __version__
from duck.db.migration_files import write_framework_migration
from duck.db.migrations import MIGRATIONS_FOLDER
from duck.exceptions import CommandError

TEMPLATE_SUFFIX = "-tpl"
_SKIPPED = ("__pycache__", ".DS_Store")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "startproject",
        help="Create a new project folder.",
        description="Create a project: settings, URLs, a welcome view, a template and a stylesheet.",
    )
    parser.add_argument("name", help="the project's name: a Python identifier such as 'mysite'")
    parser.add_argument("directory", nargs="?", help="folder to create the files in (default: ./NAME)")
    parser.set_defaults(handler=handle)
    return parser


def template_dir() -> Path:
    """The folder of project template files.

    An installed wheel ships it as ``duck/cli/project_template``; in a source checkout that
    path is a symlink to the repository's top-level ``project_template/``, which is also tried
    directly for checkouts made where symlinks are not supported.

    Raises:
        CommandError: neither exists (a broken installation).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "project_template", here.parent.parent / "project_template"):
        if candidate.is_dir():
            return candidate.resolve()
    raise CommandError("duck's project template is missing from this installation; reinstall duck.")


def validate_name(name: str) -> None:
    """Refuse names that are not identifiers, keywords, or names of importable modules.

    Raises:
        CommandError: with the reason and what to do instead.
    """
    if not name.isidentifier():
        raise CommandError(
            f"{name!r} is not a valid project name: use letters, digits and underscores, not starting with a digit."
        )
    if keyword.iskeyword(name):
        raise CommandError(f"{name!r} is a Python keyword and cannot be a project name; try another name.")
    if _importable(name):
        raise CommandError(
            f"{name!r} conflicts with the name of an existing Python module and cannot be used as a project name; "
            "try another name."
        )


def _importable(name: str) -> bool:
    """Whether ``import name`` would find a module or an installed package, ignoring the current folder.

    The current folder is left out because that is where the new project goes: a folder
    with this name there is reported as "already exists" instead. A plain folder elsewhere on
    ``sys.path`` (another project left in a checkout, say) is no module to clash with: only a
    namespace package installed with the interpreter counts.
    """
    cwd = os.getcwd()
    saved = sys.path[:]
    sys.path[:] = [entry for entry in saved if os.path.abspath(entry or os.curdir) != cwd]
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # a broken module of that name still clashes
        return True
    finally:
        sys.path[:] = saved
    if spec is None:
        return False
    if spec.origin is not None:
        return True
    return any(_installed(location) for location in spec.submodule_search_locations or ())


def _installed(folder: str) -> bool:
    """Whether ``folder`` lies in the interpreter's library or site-packages."""
    roots = {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    path = os.path.abspath(folder)
    return any(root and (path == root or path.startswith(root + os.sep)) for root in roots)


def template_files(source: Path) -> list[tuple[Path, Path]]:
    """Pairs of (template file, path relative to the new project), in a stable order."""
    pairs = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or any(part in _SKIPPED for part in relative.parts) or path.suffix == ".pyc":
            continue
        if relative.name.endswith(TEMPLATE_SUFFIX):
            relative = relative.with_name(relative.name[: -len(TEMPLATE_SUFFIX)])
        pairs.append((path, relative))
    return pairs


def render_text(text: str, context: dict[str, str]) -> str:
    """Replace each ``{{ key }}`` of ``context`` in ``text``; nothing else is interpreted."""
    for key, value in context.items():
        text = text.replace("{{ %s }}" % key, value)  # noqa: UP031 - braces would need doubling in an f-string
    return text


def create_project(name: str, target: Path) -> list[Path]:
    """Write the project ``name`` into ``target`` (created if needed) and return the files written.

    Raises:
        CommandError: a file to be written already exists.
    """
    pairs = template_files(template_dir())
    for _, relative in pairs:
        if (target / relative).exists():
            raise CommandError(f"{target / relative} already exists; startproject never overwrites files.")
    if any((target / MIGRATIONS_FOLDER).glob("*.py")):
        raise CommandError(f"{target / MIGRATIONS_FOLDER} already holds migrations; startproject never adds to them.")
    context = {"project_name": name, "secret_key": secrets.token_urlsafe(50), "duck_version": __version__}
    written = []
    for source, relative in pairs:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.name.endswith(TEMPLATE_SUFFIX):
            destination.write_text(render_text(source.read_text(encoding="utf-8"), context), encoding="utf-8")
        else:
            destination.write_bytes(source.read_bytes())
        written.append(destination)
    written.append(write_framework_migration(target / MIGRATIONS_FOLDER))
    return written


def handle(args: argparse.Namespace) -> int:
    validate_name(args.name)
    if args.directory is None:
        target = Path.cwd() / args.name
        if target.exists():
            raise CommandError(f"{target} already exists; pick another name or remove it.")
    else:
        target = Path(args.directory).expanduser()
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a folder.")
    create_project(args.name, target)
    shown = args.directory if args.directory is not None else args.name
    print(f"Created project {args.name!r} in {target.resolve()}.")
    print(
        f"Next:\n  cd {shown}\n  duck db migrate\n  duck runserver\nthen open http://127.0.0.1:8000/ in your browser."
    )
    return 0
