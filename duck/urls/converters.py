"""Path converters: the typed parameters of ``path()`` routes (``<int:id>``, ``{id:int}``).

A converter is any object with three members:

- ``regex``: a regular expression (a string, without anchors or named groups) matching
  one parameter value in the URL;
- ``to_python(value: str)``: turns the matched text into the value the view receives;
  raising ``ValueError`` means "this route does not match after all";
- ``to_url(value)``: turns a value given to ``reverse()`` back into URL text; raising
  ``ValueError`` means "this value cannot be put in this route".
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Protocol

from duck.exceptions import ImproperlyConfigured

__all__ = [
    "Converter",
    "IntConverter",
    "PathConverter",
    "SlugConverter",
    "StringConverter",
    "UUIDConverter",
    "compiled_regex",
    "get_converter",
    "get_converters",
    "register_converter",
]


class Converter(Protocol):
    """The interface every converter implements (structural: no base class needed)."""

    regex: str

    def to_python(self, value: str) -> Any: ...

    def to_url(self, value: Any) -> str: ...


class IntConverter:
    """``<int:x>``: one or more ASCII digits, given to the view as an ``int`` (never negative)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(value)


class StringConverter:
    """``<str:x>`` and ``<x>``: any non-empty text without a slash."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: Any) -> str:
        return str(value)


class SlugConverter(StringConverter):
    """``<slug:x>``: ASCII letters, digits, hyphens and underscores."""

    regex = "[-a-zA-Z0-9_]+"


class UUIDConverter:
    """``<uuid:x>``: a lowercase hyphenated UUID, given to the view as a ``uuid.UUID``."""

    regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


class PathConverter(StringConverter):
    """``<path:x>``: any non-empty text, slashes included (for file-like tails)."""

    regex = ".+"


_BUILTINS: dict[str, Converter] = {
    "int": IntConverter(),
    "path": PathConverter(),
    "slug": SlugConverter(),
    "str": StringConverter(),
    "uuid": UUIDConverter(),
}
_registry: dict[str, Converter] = dict(_BUILTINS)
_compiled: dict[str, re.Pattern[str]] = {}


def register_converter(converter_class: type | Converter, type_name: str) -> None:
    """Make ``<type_name:x>`` (and ``{x:type_name}``) usable in routes defined afterwards.

    Args:
        converter_class: a class with ``regex``, ``to_python`` and ``to_url`` (it is
            instantiated once, without arguments), or an instance of such a class.
        type_name: the name used in routes; a Python identifier.

    Raises:
        ImproperlyConfigured: the name is taken or invalid, or the converter is incomplete.
    """
    if not isinstance(type_name, str) or not type_name.isidentifier():
        raise ImproperlyConfigured(f"Converter name {type_name!r} must be a Python identifier, like 'year'.")
    converter = converter_class() if isinstance(converter_class, type) else converter_class
    _check_converter(converter, type_name)
    existing = _registry.get(type_name)
    if existing is not None and type(existing) is not type(converter):
        raise ImproperlyConfigured(
            f"A converter named {type_name!r} is already registered ({type(existing).__name__}); "
            f"pick another name for {type(converter).__name__}."
        )
    _registry[type_name] = converter


def _check_converter(converter: Any, type_name: str) -> None:
    regex = getattr(converter, "regex", None)
    if not isinstance(regex, str) or not regex:
        raise ImproperlyConfigured(f"Converter {type_name!r} needs a non-empty string attribute 'regex'.")
    for method in ("to_python", "to_url"):
        if not callable(getattr(converter, method, None)):
            raise ImproperlyConfigured(f"Converter {type_name!r} needs a method {method}().")
    try:
        compiled = compiled_regex(regex)
    except re.error as exc:
        raise ImproperlyConfigured(f"Converter {type_name!r} has an invalid regex {regex!r}: {exc}.") from exc
    if compiled.groupindex:
        # Named groups would clash with the parameter's own group and leak into kwargs.
        raise ImproperlyConfigured(f"Converter {type_name!r}: its regex {regex!r} must not contain named groups.")


def get_converter(type_name: str) -> Converter:
    """Return the converter registered as ``type_name``; raise ``KeyError`` if there is none."""
    return _registry[type_name]


def get_converters() -> dict[str, Converter]:
    """Return a copy of the registry, name -> converter."""
    return dict(_registry)


def compiled_regex(regex: str) -> re.Pattern[str]:
    """Compile a converter's regex once, so reverse() can check values without recompiling."""
    compiled = _compiled.get(regex)
    if compiled is None:
        compiled = _compiled[regex] = re.compile(regex)
    return compiled
