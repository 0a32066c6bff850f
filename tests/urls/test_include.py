"""include(): module paths, modules, lists and (routes, app_name) tuples, prefixes and namespaces."""

from __future__ import annotations

import pytest

from duck.exceptions import ImproperlyConfigured, Resolver404
from duck.urls import URLResolver, get_resolver, include, path, re_path, resolve, reverse
from tests.urls import urlconf_app
from tests.urls.views import home, item, other


def test_include_by_module_path_uses_app_name_as_namespace():
    match = resolve("/app/items/3")
    assert (match.func, match.kwargs, match.route) == (item, {"id": 3}, "/app/items/<int:id>")
    assert (match.namespaces, match.namespace, match.view_name) == (["app"], "app", "app:item")
    assert reverse("app:item", kwargs={"id": 3}) == "/app/items/3"


def test_explicit_namespace_wins_over_app_name():
    assert resolve("/other-app/items/4").view_name == "other:item"
    assert reverse("other:item", kwargs={"id": 4}) == "/other-app/items/4"


def test_include_by_module_object():
    assert resolve("/module/items/5").view_name == "by_module:item"
    assert reverse("by_module:index") == "/module/"


def test_nested_namespaces_from_module_app_names():
    match = resolve("/app/nested/detail/a-b")
    assert match.namespaces == ["app", "inner"]
    assert match.view_name == "app:inner:detail"
    assert match.route == "/app/nested/detail/<slug:slug>"
    assert reverse("app:inner:detail", kwargs={"slug": "a-b"}) == "/app/nested/detail/a-b"
    assert reverse("other:inner:detail", kwargs={"slug": "x"}) == "/other-app/nested/detail/x"


def test_include_list_with_namespace_and_prefix_join_without_double_slash():
    api = [path("/items/<int:id>", item, name="item"), path("/", home, name="root")]
    for prefix in ("/api/", "/api", "api/", "api"):
        routes = [path(prefix, include(api, namespace="api"))]
        assert resolve("/api/items/3", routes).route == "/api/items/<int:id>"
        assert resolve("/api/", routes).url_name == "root"
        assert reverse("api:item", routes, kwargs={"id": 3}) == "/api/items/3"
        with pytest.raises(Resolver404):
            resolve("/api//items/3", routes)


def test_include_list_without_namespace_keeps_plain_names():
    routes = [path("/api/", include([path("/items/<int:id>", item, name="item")]))]
    assert resolve("/api/items/1", routes).namespaces == []
    assert reverse("item", routes, kwargs={"id": 1}) == "/api/items/1"


def test_include_tuple_gives_app_name():
    routes = [path("/shop/", include(([path("/cart", other, name="cart")], "shop")))]
    assert resolve("/shop/cart", routes).view_name == "shop:cart"
    routes = [path("/shop/", include(([path("/cart", other, name="cart")], "shop"), namespace="store"))]
    assert resolve("/shop/cart", routes).view_name == "store:cart"


def test_include_tuple_of_routes_is_a_list_of_routes():
    routes = [path("/t/", include((path("/a", other, name="a"), path("/b", other, name="b"))))]
    assert resolve("/t/b", routes).url_name == "b"


def test_deeply_nested_list_namespaces():
    inner = [path("/leaf/<int:n>", other, name="leaf")]
    middle = [path("/m/", include(inner, namespace="inner"))]
    routes = [path("/o/", include(middle, namespace="outer"))]
    match = resolve("/o/m/leaf/2", routes)
    assert (match.view_name, match.namespace, match.route) == ("outer:inner:leaf", "outer:inner", "/o/m/leaf/<int:n>")
    assert reverse("outer:inner:leaf", routes, kwargs={"n": 2}) == "/o/m/leaf/2"


def test_prefix_parameters_reach_the_view():
    routes = [path("/users/<int:uid>/", include([path("/posts/<slug:post>", other, name="post")]))]
    assert resolve("/users/7/posts/hi", routes).kwargs == {"uid": 7, "post": "hi"}
    assert reverse("post", routes, kwargs={"uid": 7, "post": "hi"}) == "/users/7/posts/hi"
    assert reverse("post", routes, args=[7, "hi"]) == "/users/7/posts/hi"


def test_re_path_prefix_with_path_children():
    routes = [re_path(r"^v(?P<version>[12])/", include([path("/ping", other, name="ping")]))]
    match = resolve("/v2/ping", routes)
    assert (match.kwargs, match.route) == ({"version": "2"}, "/v(?P<version>[12])/ping")
    assert reverse("ping", routes, kwargs={"version": "1"}) == "/v1/ping"


def test_include_kwargs_reach_every_view_and_inner_kwargs_win():
    inner = [path("/a", other, kwargs={"level": "inner"}), path("/b", other)]
    routes = [path("/x/", include(inner), kwargs={"level": "outer", "site": 1})]
    assert resolve("/x/a", routes).kwargs == {"level": "inner", "site": 1}
    assert resolve("/x/b", routes).kwargs == {"level": "outer", "site": 1}


def test_include_at_root_prefix():
    routes = [path("/", include([path("/a", other, name="a")], namespace="r"))]
    assert resolve("/a", routes).view_name == "r:a"


def test_module_path_is_imported_lazily():
    resolver = URLResolver(None, [path("/lazy/", include("tests.urls.not_a_module"))])
    with pytest.raises(ImproperlyConfigured, match=r"'tests\.urls\.not_a_module' could not be found"):
        resolver.resolve("/lazy/x")


def test_module_without_urlpatterns_says_how_to_fix_it():
    routes = [path("/n/", include("tests.urls.urlconf_no_patterns"))]
    with pytest.raises(ImproperlyConfigured, match=r"has no 'urlpatterns'.*urlpatterns = \["):
        resolve("/n/x", routes)


def test_include_cycle_is_refused():
    with pytest.raises(ImproperlyConfigured, match="cycle"):
        get_resolver("tests.urls.urlconf_cycle").resolve("/again/again/x")


def test_same_parameter_in_prefix_and_route_is_refused():
    routes = [path("/u/<int:id>/", include([path("/p/<int:id>", other)]))]
    with pytest.raises(ImproperlyConfigured, match=r"'/u/<int:id>/p/<int:id>'.*only once"):
        resolve("/u/1/p/2", routes)


@pytest.mark.parametrize("arg", [42, None, {"a": 1}, [home]])
def test_include_refuses_what_is_not_a_url_conf(arg):
    with pytest.raises(ImproperlyConfigured):
        include(arg)


@pytest.mark.parametrize("namespace", ["", "a:b", 3])
def test_include_refuses_bad_namespaces(namespace):
    with pytest.raises(ImproperlyConfigured, match="namespace"):
        include([path("/a", other)], namespace=namespace)


def test_name_and_methods_do_not_apply_to_include():
    with pytest.raises(ImproperlyConfigured, match="namespace= instead"):
        path("/a/", include([path("/b", other)]), name="a")
    with pytest.raises(ImproperlyConfigured, match="methods= on the included routes"):
        path("/a/", include([path("/b", other)]), methods=["GET"])


def test_bad_item_in_urlpatterns_is_refused():
    routes = [path("/a", other), include([path("/b", other)])]
    with pytest.raises(ImproperlyConfigured, match=r"urlpatterns\[1\].*not a route"):
        get_resolver(tuple(routes)).resolve("/a")
    with pytest.raises(ImproperlyConfigured, match="not a route"):
        include([home])


def test_module_app_name_is_read_from_the_module_object_too():
    assert URLResolver(None, urlconf_app).namespace == "app"
    assert URLResolver(None, urlconf_app, namespace="x").namespace == "x"
    assert URLResolver(None, urlconf_app, app_name_from_module=False).namespace is None
