"""Route syntax: leading and trailing slashes, placeholders, re_path, and every load-time error."""

from __future__ import annotations

import pytest

from duck.exceptions import ImproperlyConfigured, Resolver404
from duck.urls import include, path, re_path, resolve
from tests.urls.views import ChatSocket, home, other


def test_root_route_matches_only_the_root():
    routes = [path("/", home)]
    assert resolve("/", routes).func is home
    for url in ("/x", "//", "/ "):
        with pytest.raises(Resolver404):
            resolve(url, routes)


def test_leading_slash_is_added_when_missing():
    routes = [path("about/", home, name="about"), path("", other, name="root")]
    assert resolve("/about/", routes).route == "/about/"
    assert resolve("/", routes).url_name == "root"


def test_trailing_slash_is_significant():
    routes = [path("/about/", home)]
    assert resolve("/about/", routes).func is home
    with pytest.raises(Resolver404):
        resolve("/about", routes)
    with pytest.raises(Resolver404):
        resolve("/about/", [path("/about", home)])


def test_literal_text_is_not_a_regex():
    routes = [path("/a.b+c", home)]
    assert resolve("/a.b+c", routes).func is home
    with pytest.raises(Resolver404):
        resolve("/aXbbc", routes)


def test_placeholder_style_equals_angle_brackets():
    routes = [path("/ws/{client_id}", ChatSocket, name="chat"), path("/n/{x:int}/<int:y>", other)]
    match = resolve("/ws/abc", routes)
    assert (match.func, match.kwargs, match.route) == (ChatSocket, {"client_id": "abc"}, "/ws/{client_id}")
    assert resolve("/n/1/2", routes).kwargs == {"x": 1, "y": 2}
    with pytest.raises(Resolver404):
        resolve("/n/a/2", routes)


def test_view_is_returned_exactly_as_given():
    match = resolve("/ws/myws", [path("/ws/myws", ChatSocket, name="mywebsocket")])
    assert match.func is ChatSocket
    assert match.url_name == "mywebsocket"


# --- re_path -----------------------------------------------------------------------------------
def test_re_path_named_groups_are_kwargs_as_strings():
    routes = [re_path(r"^articles/(?P<year>[0-9]{4})/(?P<slug>[-\w]+)/$", other)]
    match = resolve("/articles/2024/hello/", routes)
    assert (match.args, match.kwargs) == ((), {"year": "2024", "slug": "hello"})


def test_re_path_unnamed_groups_are_args():
    match = resolve("/pos/12/ab", [re_path(r"^/pos/(\d+)/(\w+)$", other)])
    assert (match.args, match.kwargs) == (("12", "ab"), {})


def test_re_path_is_anchored_at_both_ends_even_without_dollar():
    routes = [re_path(r"^/items/\d+", other)]
    assert resolve("/items/3", routes).func is other
    for url in ("/items/3/extra", "/x/items/3"):
        with pytest.raises(Resolver404):
            resolve(url, routes)


def test_re_path_alternation_stays_inside_its_level():
    routes = [path("/api/", include([re_path(r"^(?:a|b)$", other)]))]
    assert resolve("/api/a", routes).func is other
    with pytest.raises(Resolver404):
        resolve("/b", routes)


def test_re_path_global_flags_apply_to_its_own_level_only():
    routes = [re_path(r"(?i)^/shout/", include([path("/quiet", other)]))]
    assert resolve("/SHOUT/quiet", routes).func is other
    with pytest.raises(Resolver404):
        resolve("/shout/QUIET", routes)


def test_re_path_verbose_flag_with_trailing_comment():
    routes = [re_path(r"(?x) ^/v/ (?P<n>\d+)  # the number", other)]
    assert resolve("/v/5", routes).kwargs == {"n": "5"}


def test_re_path_optional_named_group_that_did_not_match_is_left_out():
    routes = [re_path(r"^/o/(?P<a>\d+)?$", other)]
    assert resolve("/o/", routes).kwargs == {}
    assert resolve("/o/3", routes).kwargs == {"a": "3"}


# --- load-time errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/items/<foo:id>", "unknown converter 'foo'"),
        ("/items/{id:foo}", "unknown converter 'foo'"),
        ("/items/<:id>", "unknown converter ''"),
        ("/a/<int:id>/b/<id>", "parameter name 'id' more than once"),
        ("/a/{id}/b/<slug:id>", "parameter name 'id' more than once"),
        ("/items/<int:id", "unbalanced '<'"),
        ("/items/{id", r"unbalanced '\{'"),
        ("/items/id>", "unbalanced '>'"),
        ("/items/id}", r"unbalanced '\}'"),
        ("/items/<int:<id>>", "unbalanced"),
        ("/items/<int:1d>", "'1d' .* not a valid Python identifier"),
        ("/items/<int:my-id>", "not a valid Python identifier"),
        ("/items/<int: id>", "not a valid Python identifier"),
        ("/items/<>", "not a valid Python identifier"),
        ("/items/{}", "not a valid Python identifier"),
    ],
)
def test_bad_routes_are_refused_naming_the_route(route, message):
    with pytest.raises(ImproperlyConfigured, match=message) as caught:
        path(route, other)
    assert repr(route) in str(caught.value)


@pytest.mark.parametrize("regex", [r"^/a/(\d+", r"^/a/[b", r"^/a/(?P<x>\d)(?P<x>\d)", r"^/a|b)(c", r"^/a/(?P<1x>\d)"])
def test_invalid_regex_is_refused_naming_it(regex):
    with pytest.raises(ImproperlyConfigured, match="not a valid regular expression") as caught:
        re_path(regex, other)
    assert repr(regex) in str(caught.value)


@pytest.mark.parametrize("view", [None, "tests.urls.views.home", 42, [path("/x", other)]])
def test_view_must_be_callable_or_include(view):
    with pytest.raises(ImproperlyConfigured, match=r"'/x'.*must be callable"):
        path("/x", view)
    with pytest.raises(ImproperlyConfigured, match="must be callable"):
        re_path(r"^/x$", view)


def test_string_view_gets_a_hint():
    with pytest.raises(ImproperlyConfigured, match="not its dotted name"):
        path("/x", "tests.urls.views.home")


def test_route_must_be_a_string():
    with pytest.raises(ImproperlyConfigured, match="must be a string"):
        path(b"/x", other)
    with pytest.raises(ImproperlyConfigured, match="must be a string"):
        re_path(None, other)


@pytest.mark.parametrize("name", ["", "a:b", 3])
def test_bad_names_are_refused(name):
    with pytest.raises(ImproperlyConfigured, match="name must be"):
        path("/x", other, name=name)


@pytest.mark.parametrize(
    ("methods", "message"),
    [("GET", "must be a list"), ([], "allows nothing"), (["GE T"], "not an HTTP method"), ([3], "not an HTTP method")],
)
def test_bad_methods_are_refused(methods, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        path("/x", other, methods=methods)


@pytest.mark.parametrize("kwargs", [["a"], {1: "a"}])
def test_bad_kwargs_are_refused(kwargs):
    with pytest.raises(ImproperlyConfigured, match="kwargs must be a dict"):
        path("/x", other, kwargs=kwargs)
