"""The Jinja2 backend named by ``TEMPLATES[i]["BACKEND"] = "duck.template.Jinja2"``.

One :class:`Jinja2` instance wraps one :class:`jinja2.Environment`, built once from its
``TEMPLATES`` entry. ``OPTIONS`` are passed to the environment, except three keys duck reads
itself: ``environment`` (dotted path of a factory returning an Environment), ``globals`` and
``filters`` (mappings of names to objects or dotted paths).
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import jinja2

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.template.globals import csrf_input, csrf_token, static, url
from duck.utils.imports import import_string

# Extensions whose templates are always escaped; anything else is escaped too unless OPTIONS
# says otherwise, because forgetting to escape is the expensive mistake.
AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml")
_DUCK_OPTIONS = ("environment", "globals", "filters")


def _resolve(value: Any) -> Any:
    return import_string(value) if isinstance(value, str) else value


class Jinja2:
    """A template engine over one Jinja2 environment.

    Args:
        config: one ``TEMPLATES`` entry: ``DIRS`` (folders searched in order) and ``OPTIONS``.

    Raises:
        ImproperlyConfigured: ``DIRS`` or ``OPTIONS`` have the wrong type, or a dotted path
            in ``OPTIONS`` does not import.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        dirs = config.get("DIRS", [])
        if isinstance(dirs, (str, PathLike)):
            raise ImproperlyConfigured(f"TEMPLATES DIRS must be a list of folders, not a single one: write [{dirs!r}].")
        options = config.get("OPTIONS", {})
        if not isinstance(options, Mapping):
            raise ImproperlyConfigured(f"TEMPLATES OPTIONS must be a dict, not {type(options).__name__}.")
        self.dirs = [str(folder) for folder in dirs]
        self.env = self._build_environment(dict(options))

    def _build_environment(self, options: dict[str, Any]) -> jinja2.Environment:
        factory = _resolve(options.get("environment", jinja2.Environment))
        kwargs = {key: value for key, value in options.items() if key not in _DUCK_OPTIONS}
        kwargs.setdefault("loader", jinja2.FileSystemLoader(self.dirs))
        kwargs.setdefault(
            "autoescape",
            jinja2.select_autoescape(AUTOESCAPE_EXTENSIONS, default_for_string=True, default=True),
        )
        # Checking every template's mtime on each render only pays off while developing.
        kwargs.setdefault("auto_reload", bool(settings.DEBUG))
        env: jinja2.Environment = factory(**kwargs)
        env.globals.update({"url": url, "static": static, "csrf_token": csrf_token, "csrf_input": csrf_input})
        env.globals.update({name: _resolve(value) for name, value in options.get("globals", {}).items()})
        env.filters.update({name: _resolve(value) for name, value in options.get("filters", {}).items()})
        return env

    def get_template(self, name: str) -> jinja2.Template:
        """Load ``name`` from this engine's folders.

        Raises:
            jinja2.TemplateNotFound: no folder holds ``name``.
        """
        return self.env.get_template(name)

    def from_string(self, source: str) -> jinja2.Template:
        """Compile a template from text (escaped like an ``.html`` file)."""
        return self.env.from_string(source)

    def __repr__(self) -> str:
        return f"<Jinja2 dirs={self.dirs!r}>"
