"""Revision files as a project keeps them: the framework's first migration, and lines a linter accepts.

``duck startproject`` writes the project's first migration with :func:`write_framework_migration`:
the tables of duck's own models (the users of ``duck.auth.models``), rendered by Alembic from the
models as they are in this version of duck, so that ``duck db migrate`` then ``duck createuser``
work in a new project and later model changes of duck reach projects through ordinary
``duck db makemigrations``. Alembic writes revisions its own way; :func:`format_migration`
rewrites them as ruff's formatter would with a new project's settings (100 columns), so that
``ruff check`` and ``ruff format --check`` pass on what duck generates.
"""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["FRAMEWORK_MODELS", "LINE_LENGTH", "format_migration", "write_framework_migration"]

# duck's modules whose tables every new project gets in its first migration.
FRAMEWORK_MODELS = ("duck.auth.models",)
# A new project's line length (project_template/pyproject.toml-tpl).
LINE_LENGTH = 100
_INDENT = "    "
_ALEMBIC_END = "# ### end Alembic commands ###"  # left after the body Alembic wrote


def write_framework_migration(
    versions: Path, modules: Iterable[str] = FRAMEWORK_MODELS, message: str = "users"
) -> Path:
    """Write the first revision of ``versions``: the tables of the models defined in ``modules``."""
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import rev_id
    from sqlalchemy import create_engine

    from duck.db.migrations import alembic_config  # it imports this module

    metadata = _metadata_of(tuple(modules))
    engine = create_engine("sqlite://")  # empty: everything the models define is new
    try:
        with engine.connect() as connection:
            script = produce_migrations(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert script.upgrade_ops is not None and script.downgrade_ops is not None
    versions.mkdir(parents=True, exist_ok=True)
    written = ScriptDirectory.from_config(alembic_config(versions=versions)).generate_revision(
        rev_id(),
        message,
        head="base",
        upgrades=render_python_code(script.upgrade_ops),
        downgrades=render_python_code(script.downgrade_ops),
        imports=set(),
    )
    assert written is not None
    path = Path(written.path)
    format_migration(path)
    return path


def _metadata_of(modules: tuple[str, ...]) -> Any:
    """A MetaData holding only the tables of the models defined in ``modules``."""
    from sqlalchemy import MetaData

    from duck.db.models import Model

    for module in modules:
        importlib.import_module(module)
    metadata = MetaData(naming_convention=Model.metadata.naming_convention)
    for mapper in Model.registry.mappers:
        table = getattr(mapper.class_, "__table__", None)
        if mapper.class_.__module__ in modules and table is not None:
            table.to_metadata(metadata)
    return metadata


def format_migration(path: Path, limit: int = LINE_LENGTH) -> None:
    """Rewrite the revision file ``path`` as ruff's formatter would, within ``limit`` columns.

    Alembic renders ``upgrade()``/``downgrade()`` its own way (long lines, single quotes): their
    statements are written again, a call too long for its line split as black and ruff split it
    (all arguments on one indented line, else one per line with a trailing comma), and strings
    get double quotes. Alembic's own comments in those bodies are dropped.
    """
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    functions = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade")
    ]
    for function in reversed(functions):  # bottom up: the line numbers above stay right
        body = [line for statement in function.body for line in _statement(statement, _INDENT, limit)]
        lines[function.lineno : function.end_lineno] = body
    text = "\n".join(line for line in lines if line.strip() != _ALEMBIC_END)
    text = re.sub(r"\n{4,}", "\n\n\n", text.rstrip("\n")) + "\n"  # two blank lines at most, as ruff keeps
    path.write_text(_double_quoted(text), encoding="utf-8")


def _statement(statement: ast.stmt, indent: str, limit: int) -> list[str]:
    if isinstance(statement, ast.Expr):
        return _expression(statement.value, indent, limit)
    if isinstance(statement, ast.With):
        items = ", ".join(ast.unparse(item) for item in statement.items)
        body = [line for inner in statement.body for line in _statement(inner, indent + _INDENT, limit)]
        return [f"{indent}with {items}:", *body]
    return [indent + line for line in ast.unparse(statement).splitlines()]


def _expression(node: ast.expr, indent: str, limit: int, prefix: str = "", suffix: str = "") -> list[str]:
    whole = f"{indent}{prefix}{ast.unparse(node)}{suffix}"
    if len(whole) <= limit or not isinstance(node, ast.Call) or not (node.args or node.keywords):
        return [whole]
    opening, closing = f"{indent}{prefix}{ast.unparse(node.func)}(", f"{indent}){suffix}"
    inner = indent + _INDENT
    arguments: list[tuple[str, ast.expr]] = [("", argument) for argument in node.args]
    arguments += [(f"{keyword.arg}=" if keyword.arg else "**", keyword.value) for keyword in node.keywords]
    one_line = inner + ", ".join(name + ast.unparse(value) for name, value in arguments)
    if len(one_line) <= limit:
        return [opening, one_line, closing]
    comma = "," if len(arguments) > 1 else ""  # ruff's magic trailing comma comes with a split between arguments
    split = [line for name, value in arguments for line in _expression(value, inner, limit, name, comma)]
    return [opening, *split, closing]


def _double_quoted(source: str) -> str:
    """Single-quoted one-line strings in double quotes where that needs no escape (ruff's preference)."""
    lines = source.splitlines(keepends=True)
    strings = [
        token
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.STRING and token.string[0] == "'" and not token.string.startswith("'" * 3)
    ]
    for token in reversed(strings):
        body = token.string[1:-1]
        if '"' in body or "\\" in body:
            continue
        row, column = token.start
        line = lines[row - 1]
        lines[row - 1] = line[:column] + f'"{body}"' + line[token.end[1] :]
    return "".join(lines)
