"""Overlapping routes: the first route in urlpatterns order wins, whatever kind each one is.

The resolver files routes under different indexes (static paths, routes with a fixed number of
segments, routes with a ``<path:>`` or a ``re_path()`` regex, routes under include() prefixes).
These tests put routes of different kinds in front of each other, both ways round, so that an
index that lost the order, or skipped a route that could match, would give the wrong view.
"""

from __future__ import annotations

import pytest

from duck.exceptions import MethodNotAllowed, Resolver404
from duck.urls import include, path, re_path, register_converter, resolve
from tests.urls.views import other


class EvenConverter:
    """Digits, but only even numbers: an odd one makes the route not match after all."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise ValueError("odd")
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class AnythingButXConverter:
    """A custom regex that matches slashes too: it must not be taken for one segment."""

    regex = "[^x]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(EvenConverter, "ordereven")
register_converter(AnythingButXConverter, "ordernox")


def winner(routes: list, url: str, method: str | None = None) -> str:
    return resolve(url, routes, method=method).url_name or ""


def both_ways(first, second, url: str) -> tuple[str, str]:
    return winner([first, second], url), winner([second, first], url)


def test_static_and_one_segment_parameter():
    static, dynamic = path("/users/me", other, name="static"), path("/users/<str:id>", other, name="dynamic")
    assert both_ways(static, dynamic, "/users/me") == ("static", "dynamic")
    assert both_ways(static, dynamic, "/users/you") == ("dynamic", "dynamic")


def test_static_and_path_converter():
    static, tail = path("/files/a/b", other, name="static"), path("/files/<path:rest>", other, name="tail")
    assert both_ways(static, tail, "/files/a/b") == ("static", "tail")


def test_static_and_param_first_segment():
    static, param = path("/items/edit", other, name="static"), path("/<slug:kind>/edit", other, name="param")
    assert both_ways(static, param, "/items/edit") == ("static", "param")
    assert both_ways(static, param, "/pages/edit") == ("param", "param")


def test_path_converter_and_fixed_segments():
    tail = path("/a/<path:rest>", other, name="tail")
    fixed = path("/a/<int:id>/x", other, name="fixed")
    assert both_ways(tail, fixed, "/a/3/x") == ("tail", "fixed")
    assert both_ways(tail, fixed, "/a/3/y") == ("tail", "tail")


def test_re_path_and_path_with_the_same_shape():
    regex = re_path(r"^/a/(?P<x>[0-9]+)/b$", other, name="regex")
    route = path("/a/<int:x>/b", other, name="route")
    assert both_ways(regex, route, "/a/12/b") == ("regex", "route")


def test_re_path_without_a_literal_prefix_keeps_its_place():
    regex = re_path(r"^/(?P<section>[a-z]+)/(?P<n>[0-9]+)$", other, name="regex")
    route = path("/news/<int:n>", other, name="route")
    static = path("/news/7", other, name="static")
    assert winner([regex, route, static], "/news/7") == "regex"
    assert winner([route, regex, static], "/news/7") == "route"
    assert winner([static, route, regex], "/news/7") == "static"


def test_case_insensitive_re_path_before_a_static_route():
    regex = re_path(r"(?i)^/About$", other, name="regex")
    static = path("/about", other, name="static")
    assert both_ways(regex, static, "/about") == ("regex", "static")
    assert both_ways(regex, static, "/ABOUT") == ("regex", "regex")


def test_case_insensitive_include_prefix_applies_to_the_prefix_only():
    routes = [re_path(r"(?i)^/API/", include([path("/items/<int:id>", other, name="item")]))]
    assert winner(routes, "/Api/items/3") == "item"
    with pytest.raises(Resolver404):
        resolve("/api/ITEMS/3", routes)


def test_include_prefix_and_a_top_level_route_over_it():
    inner = path("/api/", include([path("/items/<int:id>", other, name="inner")]))
    outer = path("/api/items/<str:id>", other, name="outer")
    assert both_ways(inner, outer, "/api/items/3") == ("inner", "outer")
    assert both_ways(inner, outer, "/api/items/x") == ("outer", "outer")


def test_include_prefix_with_a_parameter():
    inner = path("/<slug:org>/", include([path("/settings", other, name="inner")]))
    static = path("/acme/settings", other, name="static")
    assert both_ways(inner, static, "/acme/settings") == ("inner", "static")


def test_parameter_inside_a_segment():
    glued = path("/s<int:n>", other, name="glued")
    static = path("/s1", other, name="static")
    slashed = path("/s1/<int:n>", other, name="slashed")
    assert both_ways(glued, static, "/s1") == ("glued", "static")
    assert winner([glued, slashed], "/s1/2") == "slashed"
    assert winner([glued, slashed], "/s12") == "glued"


def test_converter_that_refuses_gives_way_to_the_next_route():
    even = path("/n/<ordereven:n>", other, name="even")
    any_int = path("/n/<int:n>", other, name="int")
    assert winner([even, any_int], "/n/4") == "even"
    assert winner([even, any_int], "/n/5") == "int"
    assert resolve("/n/4", [even, any_int]).kwargs == {"n": 4}


def test_custom_converter_that_matches_slashes():
    loose = path("/l/<ordernox:v>", other, name="loose")
    fixed = path("/l/a/b", other, name="fixed")
    assert both_ways(loose, fixed, "/l/a/b") == ("loose", "fixed")
    assert resolve("/l/a/b/c", [fixed, loose]).kwargs == {"v": "a/b/c"}


def test_trailing_slash_is_part_of_the_route():
    routes = [
        path("/t/<int:n>/", other, name="slash"),
        path("/t/<int:n>", other, name="bare"),
        path("/t/", other, name="index"),
    ]
    assert winner(routes, "/t/1/") == "slash"
    assert winner(routes, "/t/1") == "bare"
    assert winner(routes, "/t/") == "index"
    with pytest.raises(Resolver404):
        resolve("/t", routes)
    with pytest.raises(Resolver404):
        resolve("/t//", routes)


def test_empty_segments_and_the_root():
    routes = [path("/", other, name="root"), path("/<path:rest>", other, name="rest")]
    assert winner(routes, "/") == "root"
    assert winner(routes, "//") == "rest"
    assert resolve("/a//b", routes).kwargs == {"rest": "a//b"}


def test_method_picks_across_kinds_of_route():
    routes = [
        path("/m/<path:rest>", other, name="tail-post", methods=["POST"]),
        path("/m/<int:id>", other, name="int-get", methods=["GET"]),
        path("/m/7", other, name="static-put", methods=["PUT"]),
        re_path(r"^/m/(?P<id>[0-9]+)$", other, name="regex-delete", methods=["DELETE"]),
    ]
    assert winner(routes, "/m/7", "POST") == "tail-post"
    assert winner(routes, "/m/7", "GET") == "int-get"
    assert winner(routes, "/m/7", "PUT") == "static-put"
    assert winner(routes, "/m/7", "DELETE") == "regex-delete"
    assert winner(routes, "/m/7") == "tail-post"
    with pytest.raises(MethodNotAllowed) as caught:
        resolve("/m/7", routes, method="PATCH")
    assert caught.value.allowed == ["DELETE", "GET", "HEAD", "POST", "PUT"]
    with pytest.raises(MethodNotAllowed) as caught:
        resolve("/m/x", routes, method="GET")
    assert caught.value.allowed == ["POST"]


def test_websocket_style_class_route_keeps_its_place():
    from tests.urls.views import ChatSocket

    routes = [path("/ws/{room}", ChatSocket, name="room"), path("/ws/lobby", other, name="lobby")]
    match = resolve("/ws/lobby", routes, method="GET")
    assert (match.url_name, match.func, match.kwargs) == ("room", ChatSocket, {"room": "lobby"})


def test_path_converters_at_different_depths():
    outer, inner = path("/a/<path:rest>", other, name="outer"), path("/a/b/<path:rest>", other, name="inner")
    anywhere = re_path(r"^/(?P<rest>.+)$", other, name="anywhere")
    assert both_ways(outer, inner, "/a/b/c") == ("outer", "inner")
    assert both_ways(anywhere, inner, "/a/b/c") == ("anywhere", "inner")
    assert winner([inner, outer, anywhere], "/a/c") == "outer"


def test_routes_made_only_of_parameters():
    params = path("/<slug:org>/<int:id>", other, name="params")
    static = path("/acme/7", other, name="static")
    fixed = path("/acme/<int:id>", other, name="fixed")
    nested = path("/<slug:org>/", include([path("/<int:id>", other, name="nested")]))
    assert both_ways(params, static, "/acme/7") == ("params", "static")
    assert both_ways(params, fixed, "/acme/7") == ("params", "fixed")
    assert both_ways(nested, fixed, "/acme/7") == ("nested", "fixed")
    assert winner([params, nested], "/x/1") == "params"
