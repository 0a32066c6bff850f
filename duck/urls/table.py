"""The compiled route table behind a resolver, and :class:`ResolverMatch`, what it returns.

Each view reachable from a URL conf becomes one :class:`Route`, whose regex is the
concatenation of its ``include()`` prefixes and its own pattern, compiled once when the
table is built. Resolving then never compiles anything, and it only tries the routes that
:class:`~duck.urls.index.PathIndex` says could match the path, in URL conf order, so the
first route that matches still wins, exactly as if every route were tried in turn.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from duck.exceptions import ImproperlyConfigured, MethodNotAllowed, NoReverseMatch, Resolver404
from duck.urls.converters import Converter
from duck.urls.index import PathIndex
from duck.urls.patterns import Param, Part, Segment

__all__ = ["Leaf", "ResolverMatch", "Route", "RouteTable"]

# Characters reverse() leaves unescaped: RFC 3986 sub-delims plus "/", "~", ":" and "@" (section 3.3).
_SAFE = "/~:@!$&'()*+,;="
# How alike an unknown name must be to a route's name to be offered as "did you mean" (difflib's
# ratio; 0.6 is its default: "chta" and "chat" are 0.75, "home" and "room" 0.5).
NAME_SUGGESTION_CUTOFF = 0.6


class ResolverMatch:
    """What ``resolve()`` returns: the view to call and the arguments to call it with.

    Attributes:
        func: the view exactly as given to ``path()`` (a function or a class).
        view: what the dispatcher calls: ``func``, or for a class its ``as_view()``, built when the
            URL conf was loaded.
        args: positional arguments (unnamed groups of a ``re_path()``), a tuple.
        kwargs: converted parameters merged with the route's extra ``kwargs`` (which win).
        url_name: the route's ``name``, or None.
        route: the full route, include prefixes joined, e.g. ``"/api/items/<int:id>"``.
        namespaces: the namespaces of the enclosing includes, outermost first.
        namespace: those namespaces joined with ``":"`` (``""`` if none).
        view_name: ``"namespace:url_name"``, or the view's dotted path when unnamed.
        methods: the methods the route allows (a frozenset; GET implies HEAD), or None for any.
        url_pattern: the :class:`URLPattern` (or subclass) that matched.
        captured_kwargs / extra_kwargs: the two halves of ``kwargs``.
    """

    __slots__ = (
        "args",
        "captured_kwargs",
        "extra_kwargs",
        "func",
        "kwargs",
        "methods",
        "namespace",
        "namespaces",
        "route",
        "url_name",
        "url_pattern",
        "view",
        "view_name",
    )

    def __init__(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        url_name: str | None = None,
        namespaces: Sequence[str] = (),
        route: str = "",
        methods: frozenset[str] | None = None,
        url_pattern: Any = None,
        captured_kwargs: dict[str, Any] | None = None,
        extra_kwargs: dict[str, Any] | None = None,
        view: Callable[..., Any] | None = None,
    ) -> None:
        self.func = func
        self.view = func if view is None else view
        self.args = tuple(args)
        self.kwargs = {} if kwargs is None else kwargs
        self.url_name = url_name
        self.namespaces = list(namespaces)
        self.namespace = ":".join(self.namespaces)
        self.view_name = ":".join([*self.namespaces, url_name or callable_name(func)])
        self.route = route
        self.methods = methods
        self.url_pattern = url_pattern
        self.captured_kwargs = self.kwargs if captured_kwargs is None else captured_kwargs
        self.extra_kwargs = {} if extra_kwargs is None else extra_kwargs

    def __iter__(self) -> Iterator[Any]:
        """Allow ``func, args, kwargs = resolve(path)``."""
        return iter((self.func, self.args, self.kwargs))

    def __getitem__(self, index: int) -> Any:
        return (self.func, self.args, self.kwargs)[index]

    def __repr__(self) -> str:
        methods = None if self.methods is None else sorted(self.methods)
        return (
            f"ResolverMatch(func={callable_name(self.func)}, args={self.args!r}, kwargs={self.kwargs!r}, "
            f"url_name={self.url_name!r}, route={self.route!r}, namespaces={self.namespaces!r}, methods={methods!r})"
        )


def callable_name(func: Any) -> str:
    """``module.QualName`` of a view, for messages and unnamed view names."""
    target = func if hasattr(func, "__qualname__") else type(func)
    return f"{target.__module__}.{target.__qualname__}"


@dataclass(frozen=True)
class Leaf:
    """A view with the segments that lead to it, as the resolver's walk of the URL conf yields it."""

    pattern: Any  # a URLPattern
    segments: tuple[Segment, ...]
    namespaces: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Route:
    """One compiled entry of the table (one view reachable at one full route)."""

    index: int
    pattern: Any
    text: str
    regex: re.Pattern[str]
    converters: dict[str, Converter]
    positional: bool  # no named groups: unnamed groups become args
    extra: dict[str, Any]
    namespaces: tuple[str, ...]
    parts: tuple[Part, ...] | None
    static: bool
    literal_prefix: str

    @classmethod
    def build(cls, index: int, leaf: Leaf) -> Route:
        text = "".join(segment.text for segment in leaf.segments)
        try:
            regex = re.compile("".join(segment.regex for segment in leaf.segments))
        except re.error as exc:
            raise ImproperlyConfigured(
                f"Route {text!r} cannot be compiled: {exc}. A parameter name may appear only once "
                f"across the include() prefixes and the route."
            ) from exc
        converters: dict[str, Converter] = {}
        parts: list[Part] | None = []
        for segment in leaf.segments:
            converters.update(segment.converters)
            parts = None if parts is None or segment.parts is None else [*parts, *segment.parts]
        return cls(
            index=index,
            pattern=leaf.pattern,
            text=text,
            regex=regex,
            converters=converters,
            positional=not regex.groupindex,
            extra=leaf.extra,
            namespaces=leaf.namespaces,
            parts=None if parts is None else tuple(parts),
            static=all(segment.static for segment in leaf.segments),
            literal_prefix=_literal_prefix(leaf.segments),
        )

    def match(self, path: str) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """Return ``(args, captured kwargs)`` if ``path`` matches this route, else None."""
        if self.static:
            return ((), {}) if path == self.text else None
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        if self.positional:
            return found.groups(), {}
        kwargs: dict[str, Any] = {}
        try:
            for name, value in found.groupdict().items():
                if value is not None:
                    converter = self.converters.get(name)
                    kwargs[name] = value if converter is None else converter.to_python(value)
        except ValueError:  # a converter refused the text: this route does not match
            return None
        return (), kwargs

    def resolver_match(self, args: tuple[Any, ...], captured: dict[str, Any]) -> ResolverMatch:
        pattern = self.pattern
        kwargs = {**captured, **self.extra} if self.extra else captured
        return ResolverMatch(
            pattern.callback,
            args,
            kwargs,
            url_name=pattern.name,
            namespaces=self.namespaces,
            route=self.text,
            methods=pattern.methods,
            url_pattern=pattern,
            captured_kwargs=captured,
            extra_kwargs=self.extra,
            view=pattern.view,
        )

    def allows(self, method: str | None) -> bool:
        methods = self.pattern.methods
        return method is None or methods is None or method in methods


def _literal_prefix(segments: Sequence[Segment]) -> str:
    prefix = ""
    for segment in segments:
        prefix += segment.literal_prefix
        if not segment.static:
            break
    return prefix


class RouteTable:
    """All routes of a URL conf, compiled, with indexes for resolve() and reverse()."""

    def __init__(self, leaves: Iterable[Leaf]) -> None:
        self.routes = [Route.build(index, leaf) for index, leaf in enumerate(leaves)]
        self.tried = tuple(route.text for route in self.routes)
        self._index = PathIndex(self.routes)
        self._by_name: dict[str, list[Route]] = {}
        self._by_view: dict[Any, list[Route]] = {}
        self.namespaces: set[str] = set()
        for route in self.routes:
            self._index_for_reverse(route)

    def _index_for_reverse(self, route: Route) -> None:
        for depth in range(1, len(route.namespaces) + 1):
            self.namespaces.add(":".join(route.namespaces[:depth]))
        name = route.pattern.name
        if name:
            self._by_name.setdefault(":".join([*route.namespaces, name]), []).append(route)
        try:
            self._by_view.setdefault(route.pattern.callback, []).append(route)
        except TypeError:  # an unhashable callable can only be reversed by name
            pass

    # -- resolve --------------------------------------------------------------------------
    def resolve(self, path: str, method: str | None = None) -> ResolverMatch:
        """Find the first route matching ``path`` (and allowing ``method``, if given).

        Raises:
            MethodNotAllowed: routes match the path, but none allows ``method``.
            Resolver404: no route matches; ``tried`` lists every route in order.
        """
        if not path.startswith("/"):
            path = "/" + path
        if method is not None:
            method = method.upper()
        allowed: set[str] = set()
        for route in self._index.candidates(path):
            found = route.match(path)
            if found is None:
                continue
            if route.allows(method):
                return route.resolver_match(*found)
            allowed.update(route.pattern.methods)
        if allowed:
            raise MethodNotAllowed(allowed)
        raise Resolver404(path, tried=self.tried)

    def candidates(self, path: str) -> Sequence[Route]:
        """The routes ``resolve(path)`` tries, in order: those the index cannot rule out."""
        return self._index.candidates(path if path.startswith("/") else "/" + path)

    # -- reverse --------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every name reverse() knows, with its namespaces (``"api:item"``), sorted."""
        return sorted(self._by_name)

    def close_name(self, name: str) -> str | None:
        """The route name most like ``name``, an unknown one (a probable typo), or None."""
        close = difflib.get_close_matches(name, self._by_name, n=1, cutoff=NAME_SUGGESTION_CUTOFF)
        return close[0] if close else None

    def reverse(self, viewname: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> str:
        """Build the percent-encoded URL of ``viewname`` (``"ns:name"`` or the view itself).

        Raises:
            NoReverseMatch: no route has that name, or none accepts these arguments.
            ValueError: both ``args`` and ``kwargs`` were given.
        """
        args, kwargs = tuple(args), dict(kwargs or {})
        if args and kwargs:
            raise ValueError("reverse() takes args or kwargs, not both.")
        candidates = self._candidates(viewname)
        for route in candidates:
            url = _build_url(route, args, kwargs)
            if url is not None:
                return quote(url, safe=_SAFE)
        tried = [route.text for route in candidates]
        given = f"kwargs {kwargs!r}" if kwargs else f"args {args!r}" if args else "no arguments"
        raise NoReverseMatch(
            f"Reverse for {_shown(viewname)!r} with {given} not found. {len(tried)} pattern(s) tried: {tried!r}",
            tried=tried,
        )

    def _candidates(self, viewname: Any) -> list[Route]:
        if isinstance(viewname, str):
            found = self._by_name.get(viewname)
        else:
            try:
                found = self._by_view.get(viewname)
            except TypeError:
                found = None
        if found:
            return found
        raise NoReverseMatch(self._not_found_message(viewname))

    def _not_found_message(self, viewname: Any) -> str:
        shown = _shown(viewname)
        unknown = f"Reverse for {shown!r} not found. {shown!r} is not a valid view function or pattern name."
        if not isinstance(viewname, str):
            return unknown
        close = self.close_name(viewname)
        suggestion = f" Did you mean {close!r}?" if close else ""
        names = viewname.split(":")[:-1]
        for depth in range(1, len(names) + 1):
            if ":".join(names[:depth]) not in self.namespaces:
                inside = f" inside {':'.join(names[: depth - 1])!r}" if depth > 1 else ""
                missing = names[depth - 1]
                return (
                    f"Reverse for {viewname!r} not found: {missing!r} is not a registered namespace{inside}."
                    + suggestion
                )
        return unknown + suggestion


def _shown(viewname: Any) -> str:
    return viewname if isinstance(viewname, str) else callable_name(viewname)


def _build_url(route: Route, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """The unquoted URL of ``route`` for these arguments, or None if they do not fit it."""
    if route.parts is None:
        return None
    values = _slot_values(route, args, kwargs)
    if values is None:
        return None
    pieces: list[str] = []
    for part in route.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        text = _to_url(part, values.pop(0))
        if text is None:
            return None
        pieces.append(text)
    url = "".join(pieces)
    return url if route.regex.fullmatch(url) else None


def _slot_values(route: Route, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    slots = [part for part in route.parts or () if isinstance(part, Param)]
    if not kwargs:
        return list(args) if len(args) == len(slots) else None
    names = {slot.name for slot in slots}
    if None in names or not names <= kwargs.keys():
        return None
    for key, value in kwargs.items():
        # Keys that are not parameters must repeat the route's extra kwargs, as resolve() would give them.
        if key not in names and (key not in route.extra or route.extra[key] != value):
            return None
    return [kwargs[slot.name] for slot in slots if slot.name is not None]


def _to_url(part: Param, value: Any) -> str | None:
    try:
        text = str(value) if part.converter is None else part.converter.to_url(value)
    except ValueError:
        return None
    if not isinstance(text, str) or (part.check is not None and not part.check.fullmatch(text)):
        return None
    return text
