"""resolve(): the ResolverMatch, first match wins, 404 with what was tried, 405 with what is allowed."""

from __future__ import annotations

import pytest

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured, MethodNotAllowed, Resolver404
from duck.urls import (
    RegexPattern,
    ResolverMatch,
    URLPattern,
    clear_url_caches,
    get_resolver,
    include,
    is_valid_path,
    path,
    re_path,
    resolve,
)
from tests.urls.views import ChatSocket, article, home, item, other


def test_resolver_match_attributes():
    routes = [path("/api/", include([path("/items/<int:id>", item, name="item", kwargs={"extra": True})], "api"))]
    match = resolve("/api/items/3", routes)
    assert match.func is item
    assert match.args == ()
    assert match.kwargs == {"id": 3, "extra": True}
    assert (match.captured_kwargs, match.extra_kwargs) == ({"id": 3}, {"extra": True})
    assert match.url_name == "item"
    assert match.route == "/api/items/<int:id>"
    assert (match.namespaces, match.namespace, match.view_name) == (["api"], "api", "api:item")
    assert match.methods is None
    assert isinstance(match.url_pattern, URLPattern)


def test_resolver_match_unpacks_and_indexes():
    func, args, kwargs = resolve("/items/3", [path("/items/<int:id>", item)])
    assert (func, args, kwargs) == (item, (), {"id": 3})
    assert resolve("/items/3", [path("/items/<int:id>", item)])[2] == {"id": 3}


def test_resolver_match_repr_and_unnamed_view_name():
    match = resolve("/items/3", [path("/items/<int:id>", item, methods=["get"])])
    assert match.view_name == "tests.urls.views.item"
    assert repr(match) == (
        "ResolverMatch(func=tests.urls.views.item, args=(), kwargs={'id': 3}, url_name=None, "
        "route='/items/<int:id>', namespaces=[], methods=['GET', 'HEAD'])"
    )


def test_extra_kwargs_win_over_captured_parameters():
    assert resolve("/p/1", [path("/p/<int:id>", other, kwargs={"id": 99})]).kwargs == {"id": 99}


def test_resolve_without_leading_slash_is_normalised():
    assert resolve("items/3", [path("/items/<int:id>", item)]).kwargs == {"id": 3}


def test_first_match_wins_in_order():
    routes = [path("/x/<str:a>", home, name="first"), path("/x/<slug:b>", other, name="second")]
    assert resolve("/x/abc", routes).url_name == "first"


def test_static_route_does_not_beat_an_earlier_dynamic_route():
    routes = [path("/ws/<name>", other, name="dynamic"), path("/ws/myws", ChatSocket, name="static")]
    assert resolve("/ws/myws", routes).url_name == "dynamic"
    assert resolve("/ws/myws", routes[::-1]).url_name == "static"


def test_wildcard_first_segment_route_keeps_its_place():
    routes = [
        path("/<slug:page>/edit", other, name="any-edit"),
        path("/items/edit", home, name="items-edit"),
        path("/items/<str:x>", item, name="items"),
    ]
    assert resolve("/items/edit", routes).url_name == "any-edit"
    assert resolve("/items/view", routes).url_name == "items"
    assert resolve("/pages/edit", routes).url_name == "any-edit"


def test_resolver_404_lists_every_full_route_tried():
    routes = [
        path("/", home),
        path("/api/", include([path("/items/<int:id>", item), re_path(r"^/old/(\d+)$", other)])),
    ]
    with pytest.raises(Resolver404) as caught:
        resolve("/nothing", routes)
    assert caught.value.path == "/nothing"
    assert caught.value.tried == ["/", "/api/items/<int:id>", r"/api/old/(\d+)$"]
    assert caught.value.status_code == 404


# --- methods -----------------------------------------------------------------------------------
METHOD_ROUTES = [
    path("/r/<int:id>", home, name="read", methods=["GET"]),
    path("/r/<int:id>", other, name="write", methods=["post", "Put"]),
    path("/any", article),
    path("/r/<str:s>", article, name="by-slug", methods=["DELETE"]),
]


def test_method_picks_the_first_route_that_allows_it():
    assert resolve("/r/1", METHOD_ROUTES, method="GET").url_name == "read"
    assert resolve("/r/1", METHOD_ROUTES, method="post").url_name == "write"
    assert resolve("/r/1", METHOD_ROUTES, method="DELETE").url_name == "by-slug"


def test_head_is_implied_by_get():
    assert resolve("/r/1", METHOD_ROUTES, method="HEAD").url_name == "read"
    assert resolve("/r/1", METHOD_ROUTES).methods == frozenset({"GET", "HEAD"})


def test_method_none_ignores_restrictions_and_no_methods_allows_all():
    assert resolve("/r/1", METHOD_ROUTES).url_name == "read"
    assert resolve("/any", METHOD_ROUTES, method="PATCH").func is article


def test_405_carries_the_union_of_allowed_methods():
    with pytest.raises(MethodNotAllowed) as caught:
        resolve("/r/1", METHOD_ROUTES, method="PATCH")
    assert caught.value.allowed == ["DELETE", "GET", "HEAD", "POST", "PUT"]
    assert caught.value.status_code == 405
    assert ("Allow", "DELETE, GET, HEAD, POST, PUT") in caught.value.headers


def test_405_only_counts_routes_that_match_the_path():
    with pytest.raises(MethodNotAllowed) as caught:
        resolve("/r/abc", METHOD_ROUTES, method="GET")
    assert caught.value.allowed == ["DELETE"]


def test_404_when_nothing_matches_whatever_the_method():
    with pytest.raises(Resolver404):
        resolve("/r/", METHOD_ROUTES, method="GET")


# --- get_resolver, settings and caching ---------------------------------------------------------
def test_root_urlconf_from_settings():
    assert resolve("/").func is home
    assert get_resolver() is get_resolver("tests.urls.urlconf_root")


def test_overriding_root_urlconf_clears_the_cache():
    before = get_resolver()
    with settings.override(ROOT_URLCONF="tests.urls.urlconf_app"):
        assert resolve("/items/2").url_name == "item"
        assert resolve("/items/2").namespaces == []  # a root URL conf's app_name is not a namespace
    assert get_resolver() is not before
    with pytest.raises(Resolver404):
        resolve("/items/2")


def test_clear_url_caches_forgets_resolvers():
    routes = [path("/a", other)]
    first = get_resolver(routes)
    assert get_resolver(routes) is first
    clear_url_caches()
    assert get_resolver(routes) is not first


def test_missing_root_urlconf_says_how_to_fix_it():
    fix = r"ROOT_URLCONF = 'mysite\.urls'"
    with settings.override(ROOT_URLCONF=""), pytest.raises(ImproperlyConfigured, match=fix):
        resolve("/")


def test_root_module_without_urlpatterns():
    with pytest.raises(ImproperlyConfigured, match="no 'urlpatterns'"):
        resolve("/", "tests.urls.urlconf_no_patterns")


def test_missing_root_module():
    with pytest.raises(ImproperlyConfigured, match=r"could not be found\. Check ROOT_URLCONF"):
        resolve("/", "tests.urls.does_not_exist")


def test_urlconf_of_the_wrong_type():
    with pytest.raises(ImproperlyConfigured, match="dotted module path"):
        get_resolver(42)


def test_urlpatterns_that_is_not_a_list():
    with pytest.raises(ImproperlyConfigured, match="must be a list of routes"):
        get_resolver("tests.urls.urlconf_bad_patterns").resolve("/")


def test_is_valid_path():
    assert is_valid_path("/app/items/1")
    assert not is_valid_path("/app/items/x")
    assert is_valid_path("/r/1", METHOD_ROUTES)


def test_resolver_routes_lists_full_routes():
    assert get_resolver().routes[:3] == ["/", "/app/", "/app/items/<int:id>"]


# --- URLPattern objects directly in urlpatterns ----------------------------------------------------
class WebSocketRoute(URLPattern):
    """What a @websocket("/ws/{client_id}") decorator could return."""

    def __init__(self, route: str, handler, name: str | None = None) -> None:
        super().__init__(route, handler, name=name, methods=["GET"])
        self.is_websocket = True


def test_url_pattern_subclass_in_urlpatterns():
    routes = [WebSocketRoute("/ws/{client_id}", ChatSocket, name="ws"), path("/", home)]
    match = resolve("/ws/42", routes)
    assert (match.func, match.kwargs, match.url_name) == (ChatSocket, {"client_id": "42"}, "ws")
    assert isinstance(match.url_pattern, WebSocketRoute)
    assert match.url_pattern.is_websocket
    assert repr(routes[0]) == "<WebSocketRoute '/ws/{client_id}' name='ws'>"


def test_url_pattern_with_a_regex_pattern():
    routes = [URLPattern(RegexPattern(r"^/raw/(?P<n>\d+)$"), other, name="raw")]
    assert resolve("/raw/5", routes).kwargs == {"n": "5"}


def test_resolver_match_can_be_built_by_hand():
    match = ResolverMatch(home, (), {"a": 1}, url_name="h", namespaces=["x"], route="/h")
    assert (match.view_name, match.namespace, list(match)) == ("x:h", "x", [home, (), {"a": 1}])
