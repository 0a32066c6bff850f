"""Which routes could match a path: the index that keeps resolve() fast with thousands of routes.

``resolve()`` must answer as if it tried every route in ``urlpatterns`` order. The index only
narrows that list: it returns every route that *could* match the path, in URL conf order, and
the table tries those in turn. Routes are filed in one of three places, decided when the table
is built:

- **static** routes (no parameters): by their whole path, in a dict;
- **fixed-shape** routes, whose parameters cannot contain a ``/`` (``int``, ``str``, ``slug``,
  ``uuid``): every ``/`` of a matching path is one of the route's own, so the route only matches
  paths with its number of segments and its literal segments. Routes are filed by segment count,
  then by which segments are literal (a layout: few per URL conf), then by the text of those:
  ``/<slug:org>/page9/<int:id>`` under 3 segments, the second literal, ``"page9"``. A path
  does one lookup per layout of its segment count;
- the rest (``<path:>``, a converter with another regex, ``re_path()``): in a tree keyed by the whole
  segments of their literal prefix (``/api/v1/files/<path:p>`` under ``api`` > ``v1`` > ``files``);
  a path walks the tree as deep as its segments allow and takes the routes met on the way.

So the cost of a lookup depends on the path's length and on how many routes really overlap it,
not on how many routes the URL conf has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from duck.urls.converters import IntConverter, SlugConverter, StringConverter, UUIDConverter
from duck.urls.patterns import Param

if TYPE_CHECKING:  # the table builds the index: importing it at run time would be a cycle
    from duck.urls.table import Route

__all__ = ["PathIndex"]

# Converter regexes that never match a "/": a parameter using one stays inside its segment. Decided
# by the regex itself, so a custom converter with one of these regexes is indexed the same way.
SEGMENT_REGEXES = frozenset({IntConverter.regex, StringConverter.regex, SlugConverter.regex, UUIDConverter.regex})
_BY_INDEX = attrgetter("index")

Shape = tuple[str | None, ...]  # the path split at "/", None for a segment holding a parameter


class _Node:
    """A level of the tree of literal prefixes: the routes that any path reaching it may match."""

    __slots__ = ("children", "own", "routes")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.own: list[Route] = []
        self.routes: list[Route] = []  # own and every ancestor's, in URL conf order


class _Layout:
    """Fixed-shape routes with the same segment count and literal segments at the same positions.

    ``key`` picks those positions out of a path split at ``/`` (a string for one position, a
    tuple for several, ``()`` for none), so one dict lookup finds the routes whose literal
    segments all equal the path's.
    """

    __slots__ = ("key", "routes")

    def __init__(self, positions: tuple[int, ...]) -> None:
        self.key: Callable[[Sequence[str | None]], object] = itemgetter(*positions) if positions else _no_key
        self.routes: dict[object, list[Route]] = {}


class PathIndex:
    """The routes a path could match, in URL conf order (a superset of those that do)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._static: dict[str, list[Route]] = {}
        self._layouts: dict[int, list[_Layout]] = {}  # by segment count
        self._root = _Node()
        shaped: list[tuple[Route, Shape]] = []
        for route in routes:
            if route.static:
                self._static.setdefault(route.text, []).append(route)
            elif (shape := shape_of(route)) is not None:
                shaped.append((route, shape))
            else:
                self._file_by_prefix(route)
        self._file_by_shape(shaped)
        _inherit(self._root, [])

    def _file_by_prefix(self, route: Route) -> None:
        node = self._root
        prefix = route.literal_prefix
        for segment in prefix.split("/")[1:-1] if prefix.startswith("/") else ():
            node = node.children.setdefault(segment, _Node())
        node.own.append(route)

    def _file_by_shape(self, shaped: Sequence[tuple[Route, Shape]]) -> None:
        """File each route by its segment count, then by the positions and text of its literal segments."""
        layouts: dict[tuple[int, tuple[int, ...]], _Layout] = {}
        for route, shape in shaped:
            # Segment 0 is the "" before the leading "/", the same for every path: not a filter.
            positions = tuple(position for position, segment in enumerate(shape) if position and segment is not None)
            layout = layouts.get((len(shape), positions))
            if layout is None:
                layout = layouts[len(shape), positions] = _Layout(positions)
                self._layouts.setdefault(len(shape), []).append(layout)
            layout.routes.setdefault(layout.key(shape), []).append(route)

    def candidates(self, path: str) -> Sequence[Route]:
        """Every route that could match ``path`` (which starts with ``/``), in URL conf order."""
        found: list[list[Route]] = []
        static = self._static.get(path)
        if static is not None:
            found.append(static)
        segments = path.split("/")
        length = len(segments)
        for layout in self._layouts.get(length, ()):
            routes = layout.routes.get(layout.key(segments))
            if routes is not None:
                found.append(routes)
        node = self._root
        for position in range(1, length - 1):  # whole segments only: each followed by a "/"
            child = node.children.get(segments[position])
            if child is None:
                break
            node = child
        if node.routes:
            found.append(node.routes)
        if len(found) == 1:
            return found[0]
        return sorted(chain.from_iterable(found), key=_BY_INDEX) if found else ()


def shape_of(route: Route) -> Shape | None:
    """The segments of a route whose parameters stay within one segment, else None.

    ``/items/<int:id>/edit`` gives ``("", "items", None, "edit")``, like ``path.split("/")`` of the
    paths it matches. None for a route that is not a fixed template (a ``re_path()`` group, flags)
    or whose parameter may span segments (``<path:>``, a custom converter's regex).
    """
    if route.parts is None:
        return None
    if not route.parts or not isinstance(route.parts[0], str) or not route.parts[0].startswith("/"):
        return None  # segment 0 is the "" before the leading "/" of every path: never a filter
    shape: list[str | None] = [""]
    for part in route.parts:
        if isinstance(part, Param):
            if part.converter is None or part.converter.regex not in SEGMENT_REGEXES:
                return None
            shape[-1] = None
            continue
        first, *rest = part.split("/")
        last = shape[-1]
        shape[-1] = None if last is None else last + first
        shape.extend(rest)
    return tuple(shape)


def _no_key(segments: Sequence[str | None]) -> object:
    return ()


def _inherit(node: _Node, above: list[Route]) -> None:
    node.routes = sorted([*above, *node.own], key=_BY_INDEX) if node.own else above
    for child in node.children.values():
        _inherit(child, node.routes)
