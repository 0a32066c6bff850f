"""Route syntax: turn a ``path()`` route or a ``re_path()`` regex into a :class:`Segment`.

A segment is the compiled form of one level of a URL conf (one ``path()`` call). The
resolver concatenates the segments of nested ``include()`` levels into one regular
expression per view, compiled once, so no regex is ever built while serving a request.

``path()`` routes understand two parameter spellings that mean the same thing:
``<int:id>`` / ``<id>`` (Django) and ``{id:int}`` / ``{id}`` (Starlette, Ravyn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from duck.exceptions import ImproperlyConfigured
from duck.urls.converters import Converter, compiled_regex, get_converter, get_converters

__all__ = ["Param", "RegexPattern", "RoutePattern", "Segment"]


@dataclass(frozen=True)
class Param:
    """A parameter slot of a route: ``name`` is None for an unnamed ``re_path`` group."""

    name: str | None
    converter: Converter | None = None
    # The converter's compiled regex, to check a value given to reverse().
    check: re.Pattern[str] | None = None


Part = str | Param


@dataclass(frozen=True)
class Segment:
    """One level of a URL conf, ready to be concatenated with the levels around it."""

    text: str  # as written (leading slash added); shown in tried lists and ResolverMatch.route
    regex: str  # regex source without anchors, safe to concatenate
    parts: tuple[Part, ...] | None  # literal text and parameters, for reverse(); None: not reversible
    converters: dict[str, Converter] = field(default_factory=dict)
    literal_prefix: str = ""  # text that every matching path starts with
    static: bool = False  # no parameters: matches exactly `text`


# --- path() routes ---------------------------------------------------------------------------
# A parameter is <...> or {...} with no bracket inside; brackets anywhere else are unbalanced.
_PARAM = re.compile(r"<([^<>{}]*)>|\{([^<>{}]*)\}")
_BRACKETS = re.compile(r"[<>{}]")


class RoutePattern:
    """The pattern of a ``path()`` route, such as ``"/items/<int:id>"`` or ``"/ws/{client_id}"``.

    Args:
        route: the route; a leading slash is added when missing. Trailing slashes are
            significant: ``"/about/"`` does not match ``"/about"``.

    Raises:
        ImproperlyConfigured: unbalanced brackets, an unknown converter, a parameter name
            that is not a Python identifier, or a parameter name used twice.
    """

    def __init__(self, route: str) -> None:
        if not isinstance(route, str):
            raise ImproperlyConfigured(f"A route must be a string like '/items/<int:id>', not {route!r}.")
        self.route = route if route.startswith("/") else "/" + route
        self.segment = _route_segment(self.route, parse_route(self.route))
        self.regex = _compile(self.segment.regex, self.route)

    def prefix_segment(self) -> Segment:
        """The segment used when this route prefixes an ``include()``: no trailing slash,
        so that ``"/api/"`` + ``"/items"`` gives ``"/api/items"``."""
        parts = self.segment.parts or ()
        if not parts or not isinstance(parts[-1], str) or not parts[-1].endswith("/"):
            return self.segment
        last = parts[-1][:-1]
        return _route_segment(self.route[:-1], parts[:-1] + ((last,) if last else ()))

    def __str__(self) -> str:
        return self.route

    def __repr__(self) -> str:
        return f"<RoutePattern {self.route!r}>"


def parse_route(route: str) -> tuple[Part, ...]:
    """Split a route into literal text and :class:`Param` slots, validating it."""
    parts: list[Part] = []
    seen: set[str] = set()
    pos = 0
    for match in _PARAM.finditer(route):
        _append_literal(parts, route, route[pos : match.start()], pos)
        param = _parse_param(route, match)
        if param.name in seen:
            raise ImproperlyConfigured(f"Route {route!r} uses the parameter name {param.name!r} more than once.")
        seen.add(str(param.name))
        parts.append(param)
        pos = match.end()
    _append_literal(parts, route, route[pos:], pos)
    return tuple(parts)


def _append_literal(parts: list[Part], route: str, text: str, offset: int) -> None:
    bracket = _BRACKETS.search(text)
    if bracket is not None:
        raise ImproperlyConfigured(
            f"Route {route!r} has an unbalanced {bracket.group()!r} at position {offset + bracket.start()}. "
            f"Write parameters as <int:id>, <id>, {{id:int}} or {{id}}."
        )
    if text:
        parts.append(text)


def _parse_param(route: str, match: re.Match[str]) -> Param:
    if match.group(1) is not None:  # <type:name> or <name>
        type_name, sep, name = match.group(1).partition(":")
        if not sep:
            type_name, name = "str", type_name
    else:  # {name:type} or {name}
        name, sep, type_name = match.group(2).partition(":")
        type_name = type_name if sep else "str"
    if not name.isidentifier():
        raise ImproperlyConfigured(
            f"Route {route!r}: parameter name {name!r} in {match.group()!r} is not a valid Python identifier."
        )
    try:
        converter = get_converter(type_name)
    except KeyError:
        known = ", ".join(sorted(get_converters()))
        raise ImproperlyConfigured(
            f"Route {route!r} uses unknown converter {type_name!r} in {match.group()!r}. "
            f"Known converters: {known}. Add your own with register_converter()."
        ) from None
    return Param(name, converter, compiled_regex(converter.regex))


def _route_segment(text: str, parts: tuple[Part, ...]) -> Segment:
    regex, converters = [], {}
    for part in parts:
        if isinstance(part, str):
            regex.append(re.escape(part))
        elif part.name is not None and part.converter is not None:  # always true for path() routes
            regex.append(f"(?P<{part.name}>{part.converter.regex})")
            converters[part.name] = part.converter
    static = not converters
    prefix = text if static else (parts[0] if isinstance(parts[0], str) else "")
    return Segment(text, "".join(regex), parts, converters, prefix, static)


# --- re_path() regexes -----------------------------------------------------------------------
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


class RegexPattern:
    """The pattern of a ``re_path()`` route, such as ``r"^/articles/(?P<year>[0-9]{4})/$"``.

    The regex is matched against the whole path (after any ``include()`` prefix): a
    leading ``^`` is implied, the end is anchored for views, and a leading ``/`` is added
    when the regex does not start with one. Leading global flags such as ``(?i)`` apply
    to this regex only, not to the routes included under it.

    Raises:
        ImproperlyConfigured: the regex does not compile.
    """

    def __init__(self, regex: str) -> None:
        if not isinstance(regex, str):
            raise ImproperlyConfigured(f"A re_path() regex must be a string, not {regex!r}.")
        self.regex_text = regex
        self.flags, body = _split_flags(regex)
        body = body.lstrip() if "x" in self.flags else body  # verbose: "(?x) ^/a" starts at the "^"
        body = body.removeprefix("^") if body.startswith("^") else body.removeprefix("\\A")
        self.body = body if body.startswith(("/", "\\/")) else "/" + body
        _compile(f"(?{self.flags}){self.body}" if self.flags else self.body, regex)
        self.segment = _regex_segment(self.flags, self.body)
        self.regex = _compile(self.segment.regex, regex)

    def prefix_segment(self) -> Segment:
        """The segment used when this regex prefixes an ``include()``: a final ``/`` dropped."""
        body = self.body
        if body.endswith("/") and len(body) > 1:
            backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
            body = body[: -2 if backslashes % 2 else -1]  # "\/" is an escaped slash: drop both characters
        return self.segment if body == self.body else _regex_segment(self.flags, body)

    def __str__(self) -> str:
        return self.segment.text

    def __repr__(self) -> str:
        return f"<RegexPattern {self.regex_text!r}>"


def _split_flags(regex: str) -> tuple[str, str]:
    flags = ""
    while match := _GLOBAL_FLAGS.match(regex):
        flags += match.group(1)
        regex = regex[match.end() :]
    return flags, regex


def _regex_segment(flags: str, body: str) -> Segment:
    # Scoped flags and a non-capturing group keep flags and top-level "|" inside this level;
    # verbose mode needs a newline so that a trailing comment cannot swallow the ")".
    end = "\n)" if "x" in flags else ")"
    source = f"(?{flags}:{body}{end}" if flags else f"(?:{body})"
    text = f"(?{flags}){body}" if flags else body
    parts = None if flags else regex_parts(body)
    prefix = parts[0] if parts and isinstance(parts[0], str) else ""
    return Segment(text, source, parts, {}, prefix, False)


def regex_parts(body: str) -> tuple[Part, ...] | None:
    """Split a regex into literal text and capture groups, or None if it is not a fixed template.

    Only literal characters, escaped punctuation, capture groups and a final ``$``/``\\Z``
    are understood: quantifiers, classes, alternation or other groups outside a capture
    group make the route unreversible (it still resolves).
    """
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            escaped = body[i + 1 : i + 2]
            if escaped == "Z" and i + 2 == len(body):
                break
            if not escaped or escaped.isalnum():
                return None  # \d, \w, \b...: not one fixed text
            literal.append(escaped)
            i += 2
        elif char == "(":
            end = _group_end(body, i)
            param = _group_param(body, i)
            if end is None or param is None:
                return None
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(param)
            i = end + 1
        elif char == "$" and i + 1 == len(body):
            break
        elif char in ".^$*+?{}[]|)":
            return None
        else:
            literal.append(char)
            i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _group_param(body: str, start: int) -> Param | None:
    if body.startswith("(?P<", start):
        return Param(body[start + 4 : body.index(">", start)])
    return None if body.startswith("(?", start) else Param(None)


def _group_end(body: str, start: int) -> int | None:
    """Index of the ``)`` closing the group opened at ``start`` (skipping escapes and classes)."""
    depth, i, in_class = 0, start, False
    while i < len(body):
        char = body[i]
        if char == "\\":
            i += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 if body[i + 1 : i + 2] == "^" else 0
            i += 1 if body[i + 1 : i + 2] == "]" else 0  # a "]" first in a class is literal
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return i
        i += 1
    return None


def _compile(source: str, shown: str) -> re.Pattern[str]:
    try:
        return re.compile(source)
    except re.error as exc:
        raise ImproperlyConfigured(f"Route {shown!r} is not a valid regular expression: {exc}.") from exc
