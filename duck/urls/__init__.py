"""URL configuration: map paths to views with ``path()``, ``re_path()`` and ``include()``.

::

    from duck.urls import include, path

    urlpatterns = [
        path("/", home, name="home"),
        path("/items/<int:id>", item, name="item", methods=["GET", "POST"]),
        path("/api/", include("myapp.urls", namespace="api")),
        path("/ws/{client_id}", ChatSocket, name="chat"),
    ]

See docs/urls.md.
"""

from __future__ import annotations

from duck.urls.base import is_valid_path, resolve, reverse
from duck.urls.conf import Include, include, path, re_path
from duck.urls.converters import register_converter
from duck.urls.patterns import RegexPattern, RoutePattern
from duck.urls.resolvers import URLPattern, URLResolver, clear_url_caches, get_resolver
from duck.urls.table import ResolverMatch

__all__ = [
    "Include",
    "RegexPattern",
    "ResolverMatch",
    "RoutePattern",
    "URLPattern",
    "URLResolver",
    "clear_url_caches",
    "get_resolver",
    "include",
    "is_valid_path",
    "path",
    "re_path",
    "register_converter",
    "resolve",
    "reverse",
]
