"""How long resolve() takes with 500 routes: python bench/urls_bench.py [iterations].

Prints microseconds per call for a few kinds of path, next to a naive scan that tries
every compiled route in order (what the indexes in duck.urls.table avoid). Numbers only:
nothing here asserts a timing.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

# Run from a checkout without installing: the repository root goes first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from duck.exceptions import Resolver404
from duck.urls import get_resolver, include, path, re_path, resolve


def view(request, **kwargs):
    return None


def build_routes() -> list:
    """500 views: 50 sections of static, typed, slug and path routes, plus includes and re_paths."""
    routes: list = []
    for section in range(50):
        routes += [
            path(f"/section{section}/", view, name=f"index{section}"),
            path(f"/section{section}/about", view, name=f"about{section}"),
            path(f"/section{section}/items/<int:id>", view, name=f"item{section}", methods=["GET"]),
            path(f"/section{section}/items/<int:id>/edit", view, methods=["GET", "POST"]),
            path(f"/section{section}/tags/<slug:tag>", view),
            path(f"/section{section}/files/<path:name>", view),
            re_path(rf"^/section{section}/archive/(?P<year>[0-9]{{4}})/$", view),
        ]
    for api in range(10):
        children = [path(f"/things/<int:id>/v{v}", view, name=f"t{v}") for v in range(15)]
        routes.append(path(f"/api{api}/", include(children, namespace=f"api{api}")))
    return routes


def naive(table, url: str):
    """Try every compiled route in order: the baseline the indexes are measured against."""
    for route in table.routes:
        if route.regex.fullmatch(url) is not None:
            return route
    return None


def main() -> None:
    number = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    routes = build_routes()
    table = get_resolver(routes).table
    print(f"{len(table.routes)} routes, best of 3 x {number} calls per path")
    cases = {
        "static, first section": "/section0/about",
        "static, last section": "/section49/about",
        "typed, last section": "/section49/items/12345/edit",
        "re_path, last section": "/section49/archive/2024/",
        "include, last api": "/api9/things/7/v14",
        "no match (404)": "/nowhere/at/all",
    }
    for label, url in cases.items():
        fast = min(timeit.repeat(lambda url=url: _resolve(url, routes), number=number, repeat=3)) / number
        slow = min(timeit.repeat(lambda url=url: naive(table, url), number=number, repeat=3)) / number
        print(f"  {label:<26} {url:<30} resolve {fast * 1e6:7.2f} us   naive scan {slow * 1e6:7.2f} us")


def _resolve(url: str, routes: list) -> None:
    try:
        resolve(url, routes, method="GET")
    except Resolver404:
        pass


if __name__ == "__main__":
    main()
