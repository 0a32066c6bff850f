"""Jinja2 templates configured from ``settings.TEMPLATES``.

::

    TEMPLATES = [{"BACKEND": "duck.template.Jinja2", "DIRS": [BASE_DIR / "templates"], "OPTIONS": {}}]

Every template can call ``url(name, *args, **kwargs)`` and ``static(path)``, and sees
``request`` when rendered for one. Autoescaping is on. See docs/templates-and-static.md.
"""

from __future__ import annotations

from duck.template.backend import Jinja2
from duck.template.globals import static, url
from duck.template.loader import get_engines, get_template, render_to_string, reset_engines
from duck.template.response import TemplateResponse

__all__ = [
    "Jinja2",
    "TemplateResponse",
    "get_engines",
    "get_template",
    "render_to_string",
    "reset_engines",
    "static",
    "url",
]
