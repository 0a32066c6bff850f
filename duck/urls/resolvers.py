"""URL patterns (leaves, one per view) and resolvers (nodes, one per URL conf or include).

A :class:`URLPattern` ties a pattern to a view; a :class:`URLResolver` ties a prefix to a
list of patterns and resolvers (a URL conf). The first time a resolver resolves or
reverses, it walks its tree once and compiles it into a :class:`~duck.urls.table.RouteTable`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any

from duck.conf import on_setting_changed, settings
from duck.exceptions import ImproperlyConfigured
from duck.urls.patterns import RegexPattern, RoutePattern, Segment
from duck.urls.table import Leaf, ResolverMatch, RouteTable

__all__ = ["ResolverMatch", "URLPattern", "URLResolver", "clear_url_caches", "get_resolver"]

Pattern = RoutePattern | RegexPattern
URLConf = str | ModuleType | Sequence[Any]

# An HTTP method is a token (RFC 9110 section 9.1, token syntax in section 5.6.2).
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class URLPattern:
    """A route to one view: what ``path()`` and ``re_path()`` return.

    Subclass it to give routes extra meaning (duck's ``@websocket`` decorator returns a
    subclass); ``ResolverMatch.url_pattern`` is the instance that matched.

    Args:
        pattern: a :class:`RoutePattern` or :class:`RegexPattern`; a string is taken as a
            ``path()`` route (``"/ws/{client_id}"``).
        callback: the view, stored and returned by ``resolve()`` as is; a class's ``as_view()`` is
            built here, once, so that a broken view class fails when the URL conf loads.
        name: the name ``reverse()`` knows the route by; no ``":"`` (that separates namespaces).
        methods: HTTP methods the route allows, any case; GET implies HEAD; None allows all.
        kwargs: extra keyword arguments given to the view; they win over captured parameters.

    Raises:
        ImproperlyConfigured: the route, view, name, methods or kwargs are invalid.
    """

    def __init__(
        self,
        pattern: Pattern | str,
        callback: Callable[..., Any],
        *,
        name: str | None = None,
        methods: Iterable[str] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.pattern: Pattern = RoutePattern(pattern) if isinstance(pattern, str) else pattern
        route = str(self.pattern)
        if not callable(callback):
            hint = " Import the view and pass it, not its dotted name." if isinstance(callback, str) else ""
            raise ImproperlyConfigured(
                f"Route {route!r}: the view must be callable (a function or a class) or include(...), "
                f"not {callback!r}.{hint}"
            )
        self.callback = callback
        self.view = view_of(callback, route)
        self.name = check_name(name, route)
        self.methods = normalise_methods(methods, route)
        self.default_kwargs = check_kwargs(kwargs, route)

    def __repr__(self) -> str:
        name = f" name={self.name!r}" if self.name else ""
        return f"<{type(self).__name__} {str(self.pattern)!r}{name}>"


class URLResolver:
    """A prefix and the URL conf below it: what ``path("/api/", include(...))`` returns.

    Args:
        pattern: the prefix pattern, or None for a root URL conf.
        urlconf: a dotted module path (imported on first use), a module, or a list of routes.
        kwargs: extra keyword arguments given to every view below.
        namespace: the namespace of the names below (``"ns:name"``).
        app_name: the namespace to use when ``namespace`` is None.
        app_name_from_module: use the urlconf module's ``app_name`` when both are None
            (what ``include()`` does; a root URL conf does not).
    """

    def __init__(
        self,
        pattern: Pattern | None,
        urlconf: URLConf,
        *,
        kwargs: dict[str, Any] | None = None,
        namespace: str | None = None,
        app_name: str | None = None,
        app_name_from_module: bool = True,
    ) -> None:
        self.pattern = pattern
        self.urlconf_name = urlconf
        self.default_kwargs = check_kwargs(kwargs, str(pattern or "/"))
        self._namespace = check_namespace(namespace, "namespace")
        self._app_name = check_namespace(app_name, "app_name")
        self._app_name_from_module = app_name_from_module
        self._module_app_name: str | None = None
        self._patterns: list[URLPattern | URLResolver] | None = None
        self._table: RouteTable | None = None

    # -- the URL conf ---------------------------------------------------------------------
    @property
    def url_patterns(self) -> list[URLPattern | URLResolver]:
        """The routes of the URL conf, imported and checked on first access."""
        if self._patterns is None:
            self._patterns = self._load()
        return self._patterns

    def _load(self) -> list[URLPattern | URLResolver]:
        urlconf = self.urlconf_name
        if isinstance(urlconf, (list, tuple)):
            return check_patterns(urlconf, "urlpatterns" if self.pattern is None else f"include() at {self.pattern}")
        module = import_urlconf(urlconf) if isinstance(urlconf, str) else urlconf
        if not isinstance(module, ModuleType):
            raise ImproperlyConfigured(
                f"A URL conf must be a dotted module path, a module or a list of routes, not {urlconf!r}."
            )
        patterns = getattr(module, "urlpatterns", None)
        if patterns is None:
            raise ImproperlyConfigured(
                f"The URL conf module {module.__name__!r} has no 'urlpatterns'. "
                f"Define urlpatterns = [path('/', view), ...] in it."
            )
        self._module_app_name = check_namespace(getattr(module, "app_name", None), f"{module.__name__}.app_name")
        return check_patterns(patterns, f"{module.__name__}.urlpatterns")

    @property
    def namespace(self) -> str | None:
        """The namespace given to ``include()``, else its app name, else the module's ``app_name``."""
        if self._namespace or self._app_name or not self._app_name_from_module:
            return self._namespace or self._app_name
        self.url_patterns  # noqa: B018 - loading the module reads its app_name
        return self._module_app_name

    @property
    def urlconf_key(self) -> object:
        """What identifies the URL conf, to detect include() cycles."""
        urlconf = self.urlconf_name
        if isinstance(urlconf, ModuleType):
            return urlconf.__name__
        return urlconf if isinstance(urlconf, str) else id(urlconf)

    # -- resolving ------------------------------------------------------------------------
    @property
    def table(self) -> RouteTable:
        """Every route below this resolver, compiled (built on first use, then kept)."""
        if self._table is None:
            prefix = () if self.pattern is None else (self.pattern.prefix_segment(),)
            self._table = RouteTable(self._walk(prefix, (), self.default_kwargs, (self.urlconf_key,)))
        return self._table

    def _walk(
        self,
        segments: tuple[Segment, ...],
        namespaces: tuple[str, ...],
        extra: dict[str, Any],
        stack: tuple[object, ...],
    ) -> Iterator[Leaf]:
        for item in self.url_patterns:
            if isinstance(item, URLPattern):
                yield Leaf(item, (*segments, item.pattern.segment), namespaces, {**extra, **item.default_kwargs})
                continue
            if item.urlconf_key in stack:
                raise ImproperlyConfigured(f"include() cycle: the URL conf {item.urlconf_name!r} includes itself.")
            prefix = () if item.pattern is None else (item.pattern.prefix_segment(),)
            inner = namespaces + ((item.namespace,) if item.namespace else ())
            extra_below = {**extra, **item.default_kwargs}
            yield from item._walk((*segments, *prefix), inner, extra_below, (*stack, item.urlconf_key))

    @property
    def routes(self) -> list[str]:
        """The full route of every view below this resolver, in matching order."""
        return list(self.table.tried)

    def resolve(self, path: str, method: str | None = None) -> ResolverMatch:
        """Match ``path`` (decoded, like ``request.path``); see :func:`duck.urls.resolve`."""
        table = self._table if self._table is not None else self.table  # skip the property once built
        return table.resolve(path, method)

    def reverse(self, viewname: Any, args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None) -> str:
        """Build a URL; see :func:`duck.urls.reverse`."""
        return self.table.reverse(viewname, args or (), kwargs)

    def __repr__(self) -> str:
        key = self.urlconf_key
        shown = key if isinstance(key, str) else "[...]"
        namespace = f" namespace={self._namespace or self._app_name!r}" if self._namespace or self._app_name else ""
        return f"<URLResolver {shown!r} prefix={str(self.pattern or '/')!r}{namespace}>"


# --- checks ------------------------------------------------------------------------------------
def view_of(callback: Callable[..., Any], route: str) -> Callable[..., Any]:
    """What answers requests for ``callback``: the callable itself, or a class's ``as_view()``.

    The class checks itself in ``as_view()`` (``duck.views.View``, ``WebSocketView``); any error it
    raises names the class and the fix, and surfaces now, while the URL conf is loaded.
    """
    if not isinstance(callback, type):
        return callback
    as_view = getattr(callback, "as_view", None)
    if not callable(as_view):
        raise ImproperlyConfigured(
            f"Route {route!r}: {callback.__qualname__} is a class without as_view(): make it a subclass of "
            f"duck.views.View (HTTP) or duck.contrib.websockets.WebSocketView, or route a view function."
        )
    view: Callable[..., Any] = as_view()
    return view


def check_patterns(patterns: Any, where: str) -> list[URLPattern | URLResolver]:
    """Return ``patterns`` as a list, refusing anything that is not a route."""
    if isinstance(patterns, (str, bytes)) or not isinstance(patterns, Iterable):
        raise ImproperlyConfigured(f"{where} must be a list of routes built with path() or re_path().")
    routes: list[URLPattern | URLResolver] = []
    for index, item in enumerate(patterns):
        if not isinstance(item, (URLPattern, URLResolver)):
            raise ImproperlyConfigured(
                f"{where}[{index}] is {item!r}, not a route: build routes with path() or re_path() "
                f"(an include() goes inside one: path('/prefix/', include(...)))."
            )
        routes.append(item)
    return routes


def check_name(name: Any, route: str) -> str | None:
    if name is not None and (not isinstance(name, str) or not name or ":" in name):
        raise ImproperlyConfigured(
            f"Route {route!r}: name must be a non-empty string without ':' (namespaces come from include()), "
            f"not {name!r}."
        )
    return name


def check_namespace(namespace: Any, what: str) -> str | None:
    if namespace is not None and (not isinstance(namespace, str) or not namespace or ":" in namespace):
        raise ImproperlyConfigured(f"{what} must be a non-empty string without ':', not {namespace!r}.")
    return namespace


def check_kwargs(kwargs: Any, route: str) -> dict[str, Any]:
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise ImproperlyConfigured(f"Route {route!r}: kwargs must be a dict with string keys, not {kwargs!r}.")
    return dict(kwargs)


def normalise_methods(methods: Iterable[str] | None, route: str) -> frozenset[str] | None:
    """Upper-case the method names and add HEAD when GET is allowed; None stays None (any method)."""
    if methods is None:
        return None
    if isinstance(methods, str) or not isinstance(methods, Iterable):
        raise ImproperlyConfigured(f"Route {route!r}: methods must be a list like ['GET', 'POST'], not {methods!r}.")
    names = set()
    for method in methods:
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise ImproperlyConfigured(f"Route {route!r}: {method!r} is not an HTTP method name.")
        names.add(method.upper())
    if not names:
        raise ImproperlyConfigured(f"Route {route!r}: methods=[] allows nothing; use methods=None to allow any.")
    if "GET" in names:
        names.add("HEAD")  # RFC 9110 section 9.3.2: HEAD is GET without the body
    return frozenset(names)


def import_urlconf(name: str) -> ModuleType:
    """Import a URL conf module, turning "no such module" into a message that says what to fix."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise ImproperlyConfigured(
                f"URL conf module {name!r} could not be found. Check ROOT_URLCONF or the include() "
                f"argument, and that the project folder is on sys.path."
            ) from exc
        raise  # the module exists but one of its own imports failed: show that error


# --- the cache of root resolvers ---------------------------------------------------------------
_resolvers: dict[str | ModuleType, URLResolver] = {}
# Lists are cached by identity; the list is kept alive with its resolver so its id is not reused.
_list_resolvers: dict[int, tuple[object, URLResolver]] = {}
_MAX_LIST_RESOLVERS = 128


def get_resolver(urlconf: URLConf | None = None) -> URLResolver:
    """Return the (cached) root resolver of ``urlconf``, by default ``settings.ROOT_URLCONF``.

    Args:
        urlconf: a dotted module path, a module, or a list of routes.

    Raises:
        ImproperlyConfigured: ROOT_URLCONF is not set, or ``urlconf`` is not a URL conf.
    """
    if urlconf is None:
        urlconf = settings.ROOT_URLCONF
        if not urlconf:
            raise ImproperlyConfigured(
                "ROOT_URLCONF is not set. Add ROOT_URLCONF = 'mysite.urls' to your settings: "
                "the dotted path of the module that defines urlpatterns."
            )
    if isinstance(urlconf, (str, ModuleType)):
        resolver = _resolvers.get(urlconf)
        if resolver is None:
            resolver = _resolvers[urlconf] = URLResolver(None, urlconf, app_name_from_module=False)
        return resolver
    if not isinstance(urlconf, (list, tuple)):
        raise ImproperlyConfigured(f"A URL conf must be a dotted module path, a module or a list, not {urlconf!r}.")
    cached = _list_resolvers.get(id(urlconf))
    if cached is None or cached[0] is not urlconf:
        if len(_list_resolvers) >= _MAX_LIST_RESOLVERS:
            _list_resolvers.clear()
        cached = _list_resolvers[id(urlconf)] = (urlconf, URLResolver(None, urlconf, app_name_from_module=False))
    return cached[1]


@on_setting_changed
def clear_url_caches() -> None:
    """Forget every cached resolver; the next resolve() or reverse() rebuilds from the URL conf.

    Called automatically when settings change (``settings.override(ROOT_URLCONF=...)``).
    """
    _resolvers.clear()
    _list_resolvers.clear()
