"""``resolve()`` and ``reverse()``: the two questions asked of the URL conf."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duck.exceptions import Resolver404
from duck.urls.resolvers import URLConf, get_resolver
from duck.urls.table import ResolverMatch

__all__ = ["is_valid_path", "resolve", "reverse"]


def resolve(path: str, urlconf: URLConf | None = None, method: str | None = None) -> ResolverMatch:
    """Find the view for ``path``: the first route that matches it (and allows ``method``).

    Args:
        path: the decoded path, like ``request.path`` (``"/items/3"``); no query string.
        urlconf: a dotted module path, a module or a list of routes; default ``settings.ROOT_URLCONF``.
        method: the request method (any case). None ignores the routes' ``methods``.

    Returns:
        The :class:`ResolverMatch` (``func``, ``args``, ``kwargs``, ``url_name``, ``route``...).

    Raises:
        Resolver404: no route matches; ``tried`` lists every full route, in order.
        MethodNotAllowed: routes match but none allows ``method``; ``allowed`` is the union of theirs.
        ImproperlyConfigured: the URL conf is missing or invalid.
    """
    return get_resolver(urlconf).resolve(path, method)


def reverse(
    viewname: Any,
    urlconf: URLConf | None = None,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> str:
    """Build the URL of a route: ``reverse("api:item", kwargs={"id": 3})`` -> ``"/api/items/3"``.

    Args:
        viewname: ``"name"``, ``"namespace:name"`` (``"outer:inner:name"``), or the view itself.
        urlconf: as for :func:`resolve`.
        args: values for the route's parameters, in order (not with ``kwargs``).
        kwargs: values for the route's parameters by name.

    Returns:
        The percent-encoded path, each value turned into text by its converter's ``to_url()``.

    Raises:
        NoReverseMatch: no such name, or no route with that name accepts the arguments;
            ``tried`` lists the routes tried.
        ValueError: both ``args`` and ``kwargs`` were given.
    """
    return get_resolver(urlconf).reverse(viewname, args, kwargs)


def is_valid_path(path: str, urlconf: URLConf | None = None) -> bool:
    """Whether some route matches ``path``, whatever the method (used for APPEND_SLASH)."""
    try:
        get_resolver(urlconf).resolve(path)
    except Resolver404:
        return False
    return True
