"""reverse(): round trips through resolve(), percent-encoding, and errors that list what was tried."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest

from duck.exceptions import NoReverseMatch
from duck.urls import include, path, re_path, resolve, reverse
from tests.urls.views import ChatSocket, article, home, item, other

ROUTES = [
    path("/", home, name="home"),
    path("/items/<int:id>", item, name="item"),
    path("/u/<uuid:key>", other, name="uuid"),
    path("/files/<path:name>", other, name="file"),
    path("/s/<str:text>/<slug:slug>", other, name="text"),
    path("/ws/{client_id}", ChatSocket, name="chat"),
    path("/ns/", include([path("/deep/", include([path("/<int:n>", other, name="leaf")], namespace="b"))], "a")),
    re_path(r"^/articles/(?P<year>[0-9]{4})/$", article, name="year"),
    re_path(r"^/pos/(\d+)/(\w+)$", article, name="positional"),
]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("item", {"id": 3}),
        ("uuid", {"key": uuid.UUID("12345678-1234-5678-1234-567812345678")}),
        ("file", {"name": "docs/a b/ü?#%.txt"}),
        ("text", {"text": "hello world & more", "slug": "a-b"}),
        ("chat", {"client_id": "ab c"}),
        ("a:b:leaf", {"n": 7}),
        ("year", {"year": "2024"}),
    ],
)
def test_reverse_then_resolve_gives_the_same_kwargs(name, kwargs):
    url = reverse(name, ROUTES, kwargs=kwargs)
    match = resolve(unquote(url), ROUTES)
    assert match.kwargs == kwargs
    assert match.view_name == name


def test_reverse_percent_encodes_and_keeps_safe_characters():
    assert reverse("file", ROUTES, kwargs={"name": "a b/ü?#%.txt"}) == "/files/a%20b/%C3%BC%3F%23%25.txt"
    assert reverse("chat", ROUTES, kwargs={"client_id": "a:b@c~d!$&'()*+,;="}) == "/ws/a:b@c~d!$&'()*+,;="


def test_reverse_static_routes_and_args():
    assert reverse("home", ROUTES) == "/"
    assert reverse("item", ROUTES, args=[5]) == "/items/5"
    assert reverse("text", ROUTES, args=("x", "y")) == "/s/x/y"


def test_reverse_re_path_positional():
    url = reverse("positional", ROUTES, args=[12, "ab"])
    assert url == "/pos/12/ab"
    assert resolve(url, ROUTES).args == ("12", "ab")


def test_reverse_by_view_callable():
    assert reverse(item, ROUTES, kwargs={"id": 1}) == "/items/1"
    assert reverse(ChatSocket, ROUTES, kwargs={"client_id": "z"}) == "/ws/z"


def test_reverse_uses_root_urlconf_by_default():
    assert reverse("app:item", kwargs={"id": 9}) == "/app/items/9"
    assert reverse("home") == "/"


def test_reverse_tries_every_route_with_the_name_in_order():
    routes = [path("/a/<int:n>", other, name="x"), path("/b/<slug:s>", other, name="x")]
    assert reverse("x", routes, kwargs={"n": 1}) == "/a/1"
    assert reverse("x", routes, kwargs={"s": "q"}) == "/b/q"


def test_no_reverse_match_message_lists_the_patterns_tried():
    with pytest.raises(NoReverseMatch) as caught:
        reverse("item", ROUTES, kwargs={"id": "x"})
    assert str(caught.value) == (
        "Reverse for 'item' with kwargs {'id': 'x'} not found. 1 pattern(s) tried: ['/items/<int:id>']"
    )
    assert caught.value.tried == ["/items/<int:id>"]


def test_no_reverse_match_for_wrong_arguments():
    with pytest.raises(NoReverseMatch, match=r"with args \(1, 2\) not found"):
        reverse("item", ROUTES, args=[1, 2])
    with pytest.raises(NoReverseMatch, match="with no arguments not found"):
        reverse("item", ROUTES)
    with pytest.raises(NoReverseMatch, match="with kwargs"):
        reverse("item", ROUTES, kwargs={"id": 1, "other": 2})
    with pytest.raises(NoReverseMatch):
        reverse("positional", ROUTES, kwargs={"a": 1})


def test_no_reverse_match_for_unknown_names_and_namespaces():
    with pytest.raises(NoReverseMatch, match="'nope' is not a valid view function or pattern name"):
        reverse("nope", ROUTES)
    with pytest.raises(NoReverseMatch, match="'zz' is not a registered namespace") as caught:
        reverse("zz:item", ROUTES)
    assert caught.value.tried == []
    with pytest.raises(NoReverseMatch, match="'c' is not a registered namespace inside 'a'"):
        reverse("a:c:leaf", ROUTES)
    with pytest.raises(NoReverseMatch, match="'a:leaf' is not a valid"):
        reverse("a:leaf", ROUTES)
    with pytest.raises(NoReverseMatch, match=r"tests\.urls\.views\.article"):
        reverse(article, [path("/x", other)])


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("itme", "item"), ("Home", "home"), ("a:b:lef", "a:b:leaf"), ("a:c:leaf", "a:b:leaf"), ("leaf", "a:b:leaf")],
)
def test_an_unknown_name_close_to_a_route_name_gets_a_did_you_mean(name, suggestion):
    with pytest.raises(NoReverseMatch, match=f"not found.* Did you mean '{suggestion}'\\?$"):
        reverse(name, ROUTES)


def test_no_did_you_mean_without_a_close_name():
    with pytest.raises(NoReverseMatch) as caught:
        reverse("zzzz", ROUTES)
    assert "Did you mean" not in str(caught.value)


def test_namespaced_name_is_not_found_without_its_namespace():
    with pytest.raises(NoReverseMatch):
        reverse("leaf", ROUTES, kwargs={"n": 1})


def test_args_and_kwargs_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        reverse("item", ROUTES, args=[1], kwargs={"id": 1})


def test_extra_kwargs_may_be_repeated_with_the_same_value_only():
    routes = [path("/feed", other, name="feed", kwargs={"fmt": "rss"})]
    assert reverse("feed", routes, kwargs={"fmt": "rss"}) == "/feed"
    with pytest.raises(NoReverseMatch):
        reverse("feed", routes, kwargs={"fmt": "atom"})


def test_re_path_that_is_not_a_fixed_template_resolves_but_does_not_reverse():
    routes = [re_path(r"^/opt/?$", other, name="opt"), re_path(r"^/cls/[a-z]+$", other, name="cls")]
    assert resolve("/opt", routes).url_name == "opt"
    assert resolve("/cls/abc", routes).url_name == "cls"
    with pytest.raises(NoReverseMatch, match=r"1 pattern\(s\) tried: \['/opt/\?\$'\]"):
        reverse("opt", routes)


def test_re_path_reverse_checks_the_value_against_the_regex():
    with pytest.raises(NoReverseMatch):
        reverse("year", ROUTES, kwargs={"year": "24"})


def test_re_path_escaped_literals_reverse():
    routes = [re_path(r"^/a\.b/(?P<n>\d+)\Z", other, name="dot")]
    assert reverse("dot", routes, kwargs={"n": 3}) == "/a.b/3"
