"""500 routes: the indexed resolver gives exactly what trying every route in order would give.

The resolver skips most routes (dict lookup for static routes, buckets by first segment);
this test checks that the shortcut never changes the answer. The reference answer tries
each top-level route on its own, in order, so it does not rely on those indexes.
"""

from __future__ import annotations

import random

import pytest

from duck.exceptions import MethodNotAllowed, Resolver404
from duck.urls import URLResolver, get_resolver, include, path, re_path, resolve
from tests.urls.views import other

METHODS = [None, ["GET"], ["POST"], ["GET", "POST"], ["DELETE"]]


def build_routes(rng: random.Random) -> list:
    routes: list = []
    for i in range(500):
        kind = i % 10
        methods = METHODS[i % len(METHODS)] if i % 3 == 0 else None
        name = f"r{i}"
        if kind in (0, 1):  # static, some shadowed by an earlier dynamic route of the same section
            routes.append(path(f"/s{i % 25}/page{i % 40}", other, name=name, methods=methods))
        elif kind == 2:
            routes.append(path(f"/s{i % 25}/<int:n>", other, name=name, methods=methods))
        elif kind == 3:
            routes.append(path(f"/s{i % 25}/<slug:slug>/x{i % 7}", other, name=name, methods=methods))
        elif kind == 4:  # first segment not fixed: tried for every path
            routes.append(path(f"/<slug:section>/w{i}", other, name=name, methods=methods))
        elif kind == 5:
            routes.append(path(f"/s{i % 25}<int:n>", other, name=name, methods=methods))
        elif kind == 6:
            routes.append(re_path(rf"^/re{i % 13}/(?P<n>\d+)/(?P<t>[a-z]+)$", other, name=name, methods=methods))
        elif kind == 7:
            children = [path("/", other, name="index")] + [
                path(f"/c/<int:n>/v{j}", other, name=f"c{j}", methods=METHODS[j % len(METHODS)])
                for j in range(rng.randint(1, 4))
            ]
            routes.append(path(f"/api{i % 9}/", include(children, namespace=name)))
        elif kind == 8:
            routes.append(path(f"/f{i % 11}/<path:rest>", other, name=name, methods=methods))
        else:
            routes.append(path(f"/s{i % 25}/page{i % 40}/", other, name=name, methods=methods))
    return routes


def sample_paths(rng: random.Random) -> list[str]:
    paths = ["/", "/nothing", "/s1", "/s3/", "//", "/api0", "/api0/", "/api7/c/3/v0", "/f1/", "/re2/1/"]
    for _ in range(260):
        section = f"s{rng.randrange(27)}"
        paths.append(
            rng.choice(
                [
                    f"/{section}/page{rng.randrange(42)}",
                    f"/{section}/page{rng.randrange(42)}/",
                    f"/{section}/{rng.randrange(100)}",
                    f"/{section}/slug-{rng.randrange(5)}/x{rng.randrange(8)}",
                    f"/{section}/w{rng.randrange(0, 500, 10) + 4}",
                    f"/{section}{rng.randrange(100)}",
                    f"/re{rng.randrange(14)}/{rng.randrange(9)}/abc",
                    f"/api{rng.randrange(10)}/c/{rng.randrange(9)}/v{rng.randrange(5)}",
                    f"/f{rng.randrange(12)}/a/b/{rng.randrange(9)}",
                ]
            )
        )
    return paths


def reference(singles: list[URLResolver], url: str, method: str | None):
    """Try each top-level route on its own, in order: the answer the whole table must give."""
    allowed: set[str] = set()
    for single in singles:
        try:
            match = single.resolve(url, method)
        except MethodNotAllowed as exc:
            allowed.update(exc.allowed)
            continue
        except Resolver404:
            continue
        return ("match", match.view_name, match.route, match.kwargs)
    return ("405", sorted(allowed)) if allowed else ("404",)


def actual(routes: list, url: str, method: str | None):
    try:
        match = resolve(url, routes, method=method)
    except MethodNotAllowed as exc:
        return ("405", exc.allowed)
    except Resolver404:
        return ("404",)
    return ("match", match.view_name, match.route, match.kwargs)


@pytest.fixture(scope="module")
def routes() -> list:
    return build_routes(random.Random(1234))


@pytest.mark.parametrize("method", [None, "GET", "POST", "DELETE", "PATCH"])
def test_500_routes_resolve_like_trying_each_in_order(routes, method):
    singles = [URLResolver(None, [route]) for route in routes]
    outcomes = set()
    for url in sample_paths(random.Random(99)):
        expected = reference(singles, url, method)
        assert actual(routes, url, method) == expected, url
        outcomes.add(expected[0])
    assert outcomes == {"match", "404"} | ({"405"} if method else set())


def test_500_routes_are_all_in_the_table_in_order(routes):
    tried = get_resolver(routes).routes
    assert len(tried) > 500  # includes add their children
    assert tried == [route for single in (URLResolver(None, [r]) for r in routes) for route in single.routes]


# --- 1,000 routes of every kind, each reached by its own URL ------------------------------------
KEY = "12345678-1234-5678-1234-567812345678"


def thousand_routes() -> list[tuple[object, str, str, str, dict]]:
    """(route, url, method, expected view name, expected kwargs) for 1,000 routes, none shadowed."""
    import uuid

    rows: list[tuple[object, str, str, str, dict]] = []
    for i in range(1000):
        group, kind, name = i // 10, i % 10, f"r{i}"
        base = f"/g{group}"
        if kind == 0:
            rows.append((path(f"{base}/", other, name=name), f"{base}/", "GET", name, {}))
        elif kind == 1:
            rows.append((path(f"{base}/about", other, name=name), f"{base}/about", "GET", name, {}))
        elif kind in (2, 3):
            method = "GET" if kind == 2 else "POST"
            route = path(f"{base}/items/<int:id>", other, name=name, methods=[method])
            rows.append((route, f"{base}/items/{i}", method, name, {"id": i}))
        elif kind == 4:
            rows.append(
                (path(f"{base}/<slug:tag>/feed", other, name=name), f"{base}/t{i}/feed", "GET", name, {"tag": f"t{i}"})
            )
        elif kind == 5:
            route = path(f"{base}/files/<path:rest>", other, name=name)
            rows.append((route, f"{base}/files/a/{i}.txt", "GET", name, {"rest": f"a/{i}.txt"}))
        elif kind == 6:
            route = re_path(rf"^{base}/archive/(?P<year>[0-9]{{4}})/$", other, name=name)
            rows.append((route, f"{base}/archive/{1000 + i}/", "GET", name, {"year": str(1000 + i)}))
        elif kind == 7:
            route = path(f"/<slug:org>/p{group}/<int:n>", other, name=name)
            rows.append((route, f"/org{i}/p{group}/{i}", "GET", name, {"org": f"org{i}", "n": i}))
        elif kind == 8:
            inner = include([path("/things/<uuid:key>", other, name=name)], namespace=f"ns{i}")
            rows.append(
                (
                    path(f"/api{group}/", inner),
                    f"/api{group}/things/{KEY}",
                    "GET",
                    f"ns{i}:{name}",
                    {"key": uuid.UUID(KEY)},
                )
            )
        else:
            route = path(f"{base}/x<int:n>.json", other, name=name)
            rows.append((route, f"{base}/x{i}.json", "GET", name, {"n": i}))
    return rows


def test_1000_routes_each_resolve_to_their_own_view():
    rows = thousand_routes()
    routes = [row[0] for row in rows]
    assert len(get_resolver(routes).routes) == 1000
    for _, url, method, view_name, kwargs in rows:
        match = resolve(url, routes, method=method)
        assert (match.view_name, match.kwargs) == (view_name, kwargs), url
        assert resolve(url, routes, method="HEAD" if method == "GET" else method).view_name == view_name


def test_1000_routes_405_and_404():
    routes = [row[0] for row in thousand_routes()]
    assert resolve("/g99/items/3", routes).url_name == "r992"  # no method: the first of the two
    with pytest.raises(MethodNotAllowed) as caught:
        resolve("/g99/items/3", routes, method="DELETE")
    assert caught.value.allowed == ["GET", "HEAD", "POST"]
    for url in ["/g99/nothing", "/g100/", "/g5/items/x", "/api5/things/nope", "/org/p5", "/g5/x1.jsonp"]:
        with pytest.raises(Resolver404):
            resolve(url, routes, method="GET")


def test_1000_routes_each_path_tries_only_the_routes_that_overlap_it(monkeypatch):
    """What keeps resolve() flat as the URL conf grows: a path tries a handful of routes, not 1,000."""
    from duck.urls.table import Route

    rows = thousand_routes()
    routes = [row[0] for row in rows]
    get_resolver(routes).table  # noqa: B018 - built before counting
    tried: list[str] = []
    match = Route.match

    def counting(self, url):
        tried.append(self.text)
        return match(self, url)

    monkeypatch.setattr(Route, "match", counting)
    most = 0
    for url in [row[1] for row in rows] + ["/g99/nothing", "/org/p5", "/api5/things/nope", "/nowhere/at/all/x"]:
        tried.clear()
        try:
            resolve(url, routes, method="DELETE")
        except (MethodNotAllowed, Resolver404):
            pass
        most = max(most, len(tried))
    assert 1 <= most <= 4
