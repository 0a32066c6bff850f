"""Import objects named by dotted paths in settings (middleware, template environments, ...)."""

from __future__ import annotations

import importlib
from typing import Any

from duck.exceptions import ImproperlyConfigured


def import_string(dotted_path: str) -> Any:
    """Import ``"package.module.attr"`` and return ``attr``.

    Raises:
        ImproperlyConfigured: the path is not dotted, or the module or attribute is missing.
    """
    module_path, _, attr = dotted_path.rpartition(".")
    if not module_path:
        raise ImproperlyConfigured(f"{dotted_path!r} is not a dotted path such as 'myapp.middleware.Timing'.")
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"Cannot import {dotted_path!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImproperlyConfigured(f"Module {module_path!r} has no attribute {attr!r}.") from None
