"""``path()``, ``re_path()`` and ``include()``: the functions a ``urls.py`` is written with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from duck.exceptions import ImproperlyConfigured
from duck.urls.patterns import RegexPattern, RoutePattern
from duck.urls.resolvers import Pattern, URLConf, URLPattern, URLResolver, check_namespace, check_patterns

__all__ = ["Include", "include", "path", "re_path"]


@dataclass(frozen=True)
class Include:
    """What ``include()`` returns; ``path()`` turns it into a :class:`URLResolver`."""

    urlconf: URLConf
    namespace: str | None = None
    app_name: str | None = None


def include(arg: URLConf | tuple[URLConf, str], namespace: str | None = None) -> Include:
    """Mount another URL conf under the prefix of the ``path()`` it is given to.

    Args:
        arg: a dotted module path (imported lazily; its ``urlpatterns`` are used and its
            optional ``app_name`` is the default namespace), a module, a list of routes,
            or a ``(routes, app_name)`` tuple.
        namespace: prefix of the included names in ``reverse()`` (``"namespace:name"``).

    Raises:
        ImproperlyConfigured: ``arg`` is none of these, or the namespace is invalid.
    """
    check_namespace(namespace, "include() namespace")
    app_name = None
    if isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[1], str):
        arg, app_name = arg
        check_namespace(app_name, "include() app_name")
    if isinstance(arg, (list, tuple)):
        arg = check_patterns(arg, "include()")  # a list is checked now, for an early error
    elif not isinstance(arg, (str, ModuleType)):
        raise ImproperlyConfigured(
            f"include() takes a dotted module path, a module, a list of routes or a (routes, app_name) tuple, "
            f"not {arg!r}."
        )
    return Include(arg, namespace, app_name)


def path(
    route: str,
    view: Callable[..., Any] | Include,
    name: str | None = None,
    methods: Iterable[str] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> URLPattern | URLResolver:
    """A route with ``<type:name>`` or ``{name:type}`` parameters, such as ``"/items/<int:id>"``.

    Args:
        route: the route; a missing leading slash is added. Trailing slashes count.
        view: the view (function or class), or ``include(...)`` to mount a URL conf.
        name: the name for ``reverse()`` (not allowed with ``include()``: use ``namespace``).
        methods: HTTP methods allowed (GET implies HEAD); None allows any.
        kwargs: extra keyword arguments for the view (for every view below an ``include()``).

    Raises:
        ImproperlyConfigured: the route or the arguments are invalid (at import of the URL conf).
    """
    return _route(RoutePattern(route), view, name, methods, kwargs)


def re_path(
    route_regex: str,
    view: Callable[..., Any] | Include,
    name: str | None = None,
    methods: Iterable[str] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> URLPattern | URLResolver:
    """A route given as a regular expression: named groups become kwargs (as strings),
    unnamed groups become positional args when the route has no named group.

    The regex is matched against the whole path; ``^`` is implied and so is a leading
    ``/``. Arguments are those of :func:`path`.

    Raises:
        ImproperlyConfigured: the regex does not compile, or the arguments are invalid.
    """
    return _route(RegexPattern(route_regex), view, name, methods, kwargs)


def _route(
    pattern: Pattern,
    view: Any,
    name: str | None,
    methods: Iterable[str] | None,
    kwargs: dict[str, Any] | None,
) -> URLPattern | URLResolver:
    if not isinstance(view, Include):
        return URLPattern(pattern, view, name=name, methods=methods, kwargs=kwargs)
    if name is not None:
        raise ImproperlyConfigured(
            f"Route {str(pattern)!r}: name= does not apply to include(); name the included routes, "
            f"and give the include a namespace= instead."
        )
    if methods is not None:
        raise ImproperlyConfigured(
            f"Route {str(pattern)!r}: methods= does not apply to include(); set methods= on the included routes."
        )
    return URLResolver(pattern, view.urlconf, kwargs=kwargs, namespace=view.namespace, app_name=view.app_name)
