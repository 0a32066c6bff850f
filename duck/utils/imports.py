"""Import objects named by dotted paths in settings (middleware, template environments, ...)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
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


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` that import each public name on first use (PEP 562).

    ``exports`` maps a name to the module that defines it; the value is then kept in ``namespace``
    (the package's ``globals()``), so the import happens once. This keeps ``import duck.db`` from
    importing SQLAlchemy, and ``import duck.auth`` from importing argon2, until they are needed.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module attribute PEP 562 asks for
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted([*namespace, *exports])

    return __getattr__, __dir__
