"""What ``duck check`` finds in templates without rendering them: route names no route has.

Every template of every Jinja2 engine is parsed with Jinja's own parser (so custom delimiters and
extensions of ``OPTIONS`` apply), and each call ``url("name", ...)`` whose first argument is a
string literal is looked up in the URL conf. Names computed at render time (``url(name)``) cannot
be checked and are skipped. A template that does not parse is reported too: rendering it would fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes

from duck.template.globals import url
from duck.template.loader import get_engines
from duck.urls import get_resolver
from duck.urls.table import RouteTable

__all__ = ["TemplateProblem", "template_problems"]


@dataclass(frozen=True)
class TemplateProblem:
    """One problem at a line of a template file."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


def template_problems() -> list[TemplateProblem]:
    """Unknown route names in ``url()`` calls, and templates that do not parse, in file order.

    Raises:
        ImproperlyConfigured: TEMPLATES or the URL conf is wrong (``duck check`` reports those itself).
    """
    table = get_resolver().table
    known = set(table.names)
    problems: list[TemplateProblem] = []
    for env in _jinja_environments():
        for name in _template_names(env):
            parsed = _parse(env, name)
            if isinstance(parsed, TemplateProblem):
                problems.append(parsed)
            elif parsed is not None:
                shown, template = parsed
                problems.extend(_unknown_names(shown, template, table, known))
    return problems


def _unknown_names(
    shown: str, template: nodes.Template, table: RouteTable, known: set[str]
) -> Iterator[TemplateProblem]:
    for line, route_name in _literal_url_names(template):
        if route_name not in known:
            close = table.close_name(route_name)
            hint = f": did you mean {close!r}?" if close else "."
            yield TemplateProblem(shown, line, f"url({route_name!r}) names no route{hint}")


def _jinja_environments() -> Iterator[jinja2.Environment]:
    """The engines' environments in which ``url`` is duck's (a project may give it another meaning)."""
    for engine in get_engines():
        env = getattr(engine, "env", None)
        if isinstance(env, jinja2.Environment) and env.globals.get("url") is url:
            yield env


def _template_names(env: jinja2.Environment) -> list[str]:
    try:
        return env.list_templates()
    except TypeError:  # a loader that cannot list its templates (a function, a package without a folder)
        return []


def _parse(env: jinja2.Environment, name: str) -> tuple[str, nodes.Template] | TemplateProblem | None:
    """The file's name as shown and its syntax tree; a problem if it does not parse; None if not text."""
    assert env.loader is not None  # list_templates() answered, so there is a loader
    try:
        source, filename, _ = env.loader.get_source(env, name)
    except (UnicodeDecodeError, jinja2.TemplateNotFound):  # an image or other binary file among templates
        return None
    shown = _shown(filename or name)
    try:
        return shown, env.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        return TemplateProblem(shown, exc.lineno, f"the template does not parse: {exc.message}")


def _literal_url_names(template: nodes.Template) -> Iterator[tuple[int, str]]:
    for call in template.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "url" and call.args:
            first = call.args[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                yield call.lineno, first.value


def _shown(filename: str) -> str:
    """A path relative to the current folder when it is inside it (``templates/chat.html``)."""
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return filename
