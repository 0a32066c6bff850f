"""How long resolve() takes with many routes: python bench/urls_bench.py [iterations].

Two tables. First, 500 routes: microseconds per call for a few kinds of path, next to a naive
scan that tries every compiled route in order (what the indexes in duck.urls.index avoid).
Then scaling: the same kinds of URL conf with 10 and with 1,000 routes, and the time to resolve
the last route, a route with converters, and a miss (404), as a ratio (1,000 / 10); issue 21
asks for < 2x. Numbers only: nothing here asserts a timing.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

# Run from a checkout without installing: the repository root goes first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from duck.exceptions import MethodNotAllowed, Resolver404
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


def api_routes(count: int) -> list:
    """A REST API under one prefix: 5 routes per resource, all below /api/v1/ (one first segment)."""
    routes: list = []
    for resource in range(count // 5):
        base = f"/api/v1/res{resource}"
        routes += [
            path(f"{base}/", view, name=f"list{resource}", methods=["GET", "POST"]),
            path(f"{base}/<int:id>", view, name=f"show{resource}", methods=["GET", "PUT", "DELETE"]),
            path(f"{base}/<int:id>/edit", view, name=f"edit{resource}"),
            path(f"{base}/<uuid:key>/files/<path:name>", view, name=f"file{resource}"),
            re_path(rf"^{base}/archive/(?P<year>[0-9]{{4}})/$", view, name=f"archive{resource}"),
        ]
    return routes


def tenant_routes(count: int) -> list:
    """Pages below a parameter first segment (/<slug:org>/...): nothing literal to group by at the front."""
    routes: list = []
    for page in range(count // 2):
        routes += [
            path(f"/<slug:org>/page{page}", view, name=f"page{page}"),
            path(f"/<slug:org>/page{page}/<int:id>/<slug:slug>", view, name=f"detail{page}"),
        ]
    return routes


def section_routes(count: int) -> list:
    """Sections of 10 routes each (static, typed, slug, path, re_path last), one first segment per section."""
    routes: list = []
    for section in range(count // 10):
        base = f"/section{section}"
        routes += [
            path(f"{base}/", view),
            path(f"{base}/about", view),
            path(f"{base}/contact", view, methods=["GET", "POST"]),
            path(f"{base}/items/<int:id>", view, methods=["GET"]),
            path(f"{base}/items/<int:id>/edit", view, methods=["GET", "POST"]),
            path(f"{base}/items/<int:id>/delete", view, methods=["POST"]),
            path(f"{base}/tags/<slug:tag>", view),
            path(f"{base}/tags/<slug:tag>/feed", view),
            path(f"{base}/files/<path:name>", view),
            re_path(rf"^{base}/archive/(?P<year>[0-9]{{4}})/$", view),
        ]
    return routes


SCALING = {
    "api (one prefix)": (
        api_routes,
        {
            "last route (re_path)": lambda n: f"/api/v1/res{n // 5 - 1}/archive/2024/",
            "converters (uuid, path)": lambda n: f"/api/v1/res{n // 5 - 1}/{UUID}/files/a/b.txt",
            "static, last": lambda n: f"/api/v1/res{n // 5 - 1}/",
            "miss (404)": lambda n: f"/api/v1/res{n // 5 - 1}/nothing/here",
            "wrong method (405)": lambda n: f"/api/v1/res{n // 5 - 1}/7",
        },
    ),
    "tenant (param first)": (
        tenant_routes,
        {
            "last route": lambda n: f"/acme/page{n // 2 - 1}/42/hello-world",
            "miss (404)": lambda n: "/acme/nowhere",
        },
    ),
    "sections": (
        section_routes,
        {
            "last route (re_path)": lambda n: f"/section{n // 10 - 1}/archive/2024/",
            "converters (int)": lambda n: f"/section{n // 10 - 1}/items/12345/edit",
            "miss (404)": lambda n: "/nowhere/at/all",
        },
    ),
}
UUID = "12345678-1234-5678-1234-567812345678"


def scaling(number: int) -> None:
    print(
        f"\nScaling: best of {REPEATS} x {number} calls, microseconds per resolve(); ratio = 1,000 routes / 10 routes"
    )
    for shape, (build, cases) in SCALING.items():
        small, large = build(10), build(1000)
        assert len(get_resolver(small).table.routes) == 10 and len(get_resolver(large).table.routes) == 1000
        for label, make_url in cases.items():
            method = "PATCH" if "405" in label else "GET"
            times = _best_of_both([(routes, make_url(len(routes)), method) for routes in (small, large)], number)
            tried = [len(get_resolver(routes).table.candidates(make_url(len(routes)))) for routes in (small, large)]
            print(
                f"  {shape:<21} {label:<24} 10: {times[0] * 1e6:6.2f} us   1000: {times[1] * 1e6:6.2f} us   "
                f"ratio {times[1] / times[0]:5.2f}x   routes tried {tried[0]} / {tried[1]}"
            )


REPEATS = 9


def _best_of_both(cases: list[tuple[list, str, str]], number: int) -> list[float]:
    """Best time per call of each case, their repeats interleaved so a busy machine slows both alike."""
    best = [float("inf")] * len(cases)
    for routes, url, method in cases:
        _resolve(url, routes, method)  # builds the table outside the timing
    for _ in range(REPEATS):
        for position, (routes, url, method) in enumerate(cases):
            took = timeit.timeit(
                lambda routes=routes, url=url, method=method: _resolve(url, routes, method), number=number
            )
            best[position] = min(best[position], took / number)
    return best


def main() -> None:
    number = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    scaling(number)
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


def _resolve(url: str, routes: list, method: str = "GET") -> None:
    try:
        resolve(url, routes, method=method)
    except (Resolver404, MethodNotAllowed):
        pass


if __name__ == "__main__":
    main()
