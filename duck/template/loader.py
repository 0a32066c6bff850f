"""Find and render templates with the engines configured in ``settings.TEMPLATES``.

The engines are built on first use and kept; any settings change (``settings.override`` in
tests) drops them so the next render sees the new configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jinja2

from duck.conf import on_setting_changed, settings
from duck.exceptions import ImproperlyConfigured
from duck.utils.imports import import_string

if TYPE_CHECKING:
    from duck.http.request import Request
    from duck.template.backend import Jinja2

_engines: list[Jinja2] | None = None
_lock = threading.Lock()


@on_setting_changed
def reset_engines() -> None:
    """Forget the cached engines; the next render builds them from the current settings."""
    global _engines
    _engines = None


def get_engines() -> list[Jinja2]:
    """The engines of ``settings.TEMPLATES``, in order (built once, then cached).

    Raises:
        ImproperlyConfigured: TEMPLATES is empty or an entry is malformed.
    """
    global _engines
    engines = _engines
    if engines is None:
        # Sync views render from many threads at once: build the environments only once.
        with _lock:
            if _engines is None:
                _engines = _build_engines(settings.TEMPLATES)
            engines = _engines
    return engines


def _build_engines(templates: Any) -> list[Jinja2]:
    if not isinstance(templates, Sequence) or isinstance(templates, str) or not templates:
        raise ImproperlyConfigured(
            "TEMPLATES must be a non-empty list such as "
            "[{'BACKEND': 'duck.template.Jinja2', 'DIRS': [BASE_DIR / 'templates'], 'OPTIONS': {}}]."
        )
    engines = []
    for index, config in enumerate(templates):
        if not isinstance(config, Mapping) or "BACKEND" not in config:
            raise ImproperlyConfigured(f"TEMPLATES[{index}] must be a dict with a 'BACKEND' key.")
        backend = config["BACKEND"]
        engine_class = import_string(backend) if isinstance(backend, str) else backend
        engines.append(engine_class(config))
    return engines


def get_template(name: str | Sequence[str]) -> jinja2.Template:
    """The first template found: each engine in order, each name in order when given a list.

    Raises:
        jinja2.TemplateNotFound: no engine holds any of the names (a programming error: a 500).
    """
    names = [name] if isinstance(name, str) else list(name)
    for template_name in names:
        for engine in get_engines():
            try:
                return engine.get_template(template_name)
            except jinja2.TemplateNotFound:
                continue
    searched = [folder for engine in get_engines() for folder in getattr(engine, "dirs", [])]
    wanted = names[0] if len(names) == 1 else names
    raise jinja2.TemplateNotFound(
        str(wanted), message=f"Template {wanted!r} not found; searched TEMPLATES DIRS {searched!r}."
    )


def render_to_string(
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    request: Request | None = None,
) -> str:
    """Render a template to text.

    Args:
        template_name: a name relative to a ``DIRS`` folder, or a list tried in order.
        context: the template's variables.
        request: made available as ``request`` unless ``context`` defines it.
    """
    variables = dict(context or {})
    if request is not None:
        variables.setdefault("request", request)
    return get_template(template_name).render(variables)
