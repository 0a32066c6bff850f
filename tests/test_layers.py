"""Layers only point down: no module of ``duck/`` imports from a layer above its own.

The layers, lowest first (CONTRIBUTING.md draws them)::

    exceptions < conf < utils < urls, http < template, staticfiles, db < core
      < views, shortcuts, middleware < server < contrib < wsgi, asgi < cli, test

A module may import its own layer and the layers below it. Every import counts, wherever it is
written: at the top, inside a function (a lazy import is still a dependency, only hidden), and
inside ``if TYPE_CHECKING:`` too. A lower layer that needs a type from above declares a
``typing.Protocol`` of what it uses; one that must call up is handed the callable. Literal
``importlib.import_module("duck...")`` / ``import_string("duck...")`` calls count as imports.
Dotted paths that are setting *values* (``MIDDLEWARE``, ``TEMPLATES[...]["BACKEND"]``) are not
imports: the project chooses them, the module naming a default does not depend on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "duck"

# Lowest first. Each entry is a top-level module or package of duck/; names on one line are peers.
# duck/db is listed although it may not exist yet: the data layer sits with template and staticfiles.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exceptions",),
    ("conf",),
    ("utils",),
    ("urls", "http"),
    ("template", "staticfiles", "db"),
    ("core",),
    ("views", "shortcuts", "middleware", "sessions", "auth"),
    ("server",),
    ("contrib",),
    ("wsgi", "asgi"),
    ("cli", "test", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# duck/__init__.py holds only the version: the bottom, importable by everyone.
ROOT_RANK = -1
_DYNAMIC_IMPORTERS = frozenset({"import_module", "import_string", "__import__"})


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "duck.http.response"
    target: str  # the imported module, e.g. "duck.core.sync"
    path: Path
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        target = _absolute(node, module, is_package)
        if target == "duck":  # from duck import exceptions: a name is a module, or the root's __version__
            return [f"duck.{alias.name}" if alias.name in RANK else "duck" for alias in node.names]
        return [target]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in _DYNAMIC_IMPORTERS and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def duck_imports() -> Iterator[Import]:
    """Every import of a duck module by a duck module, at any depth of the syntax tree."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "project_template" in path.parts:  # startproject's files are the user's project, not duck
            continue
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):  # walks function bodies and `if TYPE_CHECKING:` blocks alike
            for target in _targets(node, module, path.name == "__init__.py"):
                if target.startswith("duck."):
                    yield Import(module, target, path, getattr(node, "lineno", 0))


def layer_of(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if len(parts) == 1:
        return "duck", ROOT_RANK
    top = parts[1]
    if top not in RANK:
        raise AssertionError(
            f"{module} belongs to no layer: add duck/{top} to LAYERS in tests/test_layers.py "
            f"and to the drawing in CONTRIBUTING.md."
        )
    return top, RANK[top]


def upward_imports() -> list[str]:
    problems = []
    for found in duck_imports():
        source, source_rank = layer_of(found.module)
        target, target_rank = layer_of(found.target)
        if target_rank > source_rank:
            where = f"{found.path.relative_to(PACKAGE.parent)}:{found.line}"
            problems.append(
                f"{where}: {found.module} imports {found.target}, but {source} (layer {source_rank}) is below "
                f"{target} (layer {target_rank}); a layer imports only its own and lower layers "
                f"(hand the lower layer a callable or a typing.Protocol, or move the code down)"
            )
    return problems


def test_every_duck_package_has_a_layer():
    tops = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()}
    tops = {name for name in tops if not name.startswith(("_", ".")) or name == "__main__"}
    tops -= {"py", "__pycache__"}  # py.typed
    unknown = sorted(name for name in tops if name not in RANK)
    assert not unknown, f"Put these in LAYERS (tests/test_layers.py) and CONTRIBUTING.md: {unknown}"


def test_no_module_imports_from_a_layer_above_its_own():
    problems = upward_imports()
    order = " < ".join(", ".join(names) for names in LAYERS)
    assert not problems, "Upward imports (layers, lowest first: " + order + "):\n" + "\n".join(problems)


# -- the checker checks ----------------------------------------------------------------------------
def _imports_of(source: str, module: str = "duck.http.fake", is_package: bool = False) -> list[str]:
    tree = ast.parse(source)
    return [target for node in ast.walk(tree) for target in _targets(node, module, is_package)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import duck.core.handler", ["duck.core.handler"]),
        ("from duck.core import handler", ["duck.core"]),
        ("from duck import core", ["duck.core"]),
        ("def f():\n    from duck.core.handler import Handler", ["duck.core.handler"]),
        ("if TYPE_CHECKING:\n    from duck.views import View", ["duck.views"]),
        ("from ..core import handler", ["duck.core"]),
        ("from .cookies import x", ["duck.http.cookies"]),
        ("importlib.import_module('duck.server')", ["duck.server"]),
        ("import_string('duck.asgi.ASGIHandler')", ["duck.asgi.ASGIHandler"]),
    ],
)
def test_every_kind_of_import_is_seen(source, expected):
    assert _imports_of(source) == expected


def test_an_upward_import_is_named_with_module_import_and_rule(tmp_path, monkeypatch):
    fake = tmp_path / "duck"
    (fake / "http").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "http" / "__init__.py").write_text("")
    (fake / "http" / "lazy.py").write_text("def f():\n    from duck.core.handler import get_handler\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    (problem,) = upward_imports()
    assert problem.startswith("duck/http/lazy.py:2: duck.http.lazy imports duck.core.handler")
    assert "http (layer 3) is below core (layer 5)" in problem
