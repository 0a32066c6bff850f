"""Converters: what each built-in matches, what the view receives, and what reverse() writes."""

from __future__ import annotations

import uuid

import pytest

from duck.exceptions import ImproperlyConfigured, NoReverseMatch, Resolver404
from duck.urls import path, register_converter, resolve, reverse
from duck.urls.converters import get_converter, get_converters
from tests.urls.views import other

UUID = uuid.UUID("12345678-1234-5678-1234-56781234abcd")


def conf(route: str) -> list:
    return [path(route, other, name="r")]


@pytest.mark.parametrize(
    ("route", "url", "expected"),
    [
        ("/n/<int:x>", "/n/42", 42),
        ("/n/<int:x>", "/n/007", 7),
        ("/s/<str:x>", "/s/hello world", "hello world"),
        ("/s/<x>", "/s/plain", "plain"),
        ("/g/<slug:x>", "/g/a-slug_1", "a-slug_1"),
        ("/u/<uuid:x>", f"/u/{UUID}", UUID),
        ("/p/<path:x>", "/p/a/b/c.txt", "a/b/c.txt"),
    ],
)
def test_converter_matches_and_converts(route, url, expected):
    kwargs = resolve(url, conf(route)).kwargs
    assert kwargs == {"x": expected}
    assert type(kwargs["x"]) is type(expected)


@pytest.mark.parametrize(
    ("route", "url"),
    [
        ("/n/<int:x>", "/n/-1"),
        ("/n/<int:x>", "/n/1.5"),
        ("/n/<int:x>", "/n/"),
        ("/s/<str:x>", "/s/a/b"),
        ("/s/<str:x>", "/s/"),
        ("/s/<x>", "/s/a/b"),
        ("/g/<slug:x>", "/g/not a slug"),
        ("/g/<slug:x>", "/g/dot.ted"),
        ("/u/<uuid:x>", f"/u/{str(UUID).upper()}"),
        ("/u/<uuid:x>", "/u/123456781234567812345678123abcd"),
        ("/p/<path:x>", "/p/"),
    ],
)
def test_converter_rejects(route, url):
    with pytest.raises(Resolver404):
        resolve(url, conf(route))


@pytest.mark.parametrize(
    ("route", "value", "url"),
    [
        ("/n/<int:x>", 42, "/n/42"),
        ("/s/<str:x>", "a b", "/s/a%20b"),
        ("/g/<slug:x>", "a-slug", "/g/a-slug"),
        ("/u/<uuid:x>", UUID, f"/u/{UUID}"),
        ("/p/<path:x>", "a/b c/d", "/p/a/b%20c/d"),
    ],
)
def test_converter_to_url(route, value, url):
    assert reverse("r", conf(route), kwargs={"x": value}) == url


@pytest.mark.parametrize(
    ("route", "value"),
    [("/n/<int:x>", "x"), ("/n/<int:x>", -1), ("/s/<str:x>", "a/b"), ("/g/<slug:x>", "a b"), ("/u/<uuid:x>", "nope")],
)
def test_converter_refuses_values_its_regex_does_not_match(route, value):
    with pytest.raises(NoReverseMatch):
        reverse("r", conf(route), kwargs={"x": value})


def test_builtin_converters_are_registered():
    assert {"int", "str", "slug", "uuid", "path"} <= set(get_converters())


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        year = int(value)
        if year < 1900:
            raise ValueError("too old")
        return year

    def to_url(self, value: int) -> str:
        if value < 1900:
            raise ValueError("too old")
        return f"{value:04d}"


register_converter(YearConverter, "testyear")


def test_custom_converter_in_both_spellings():
    routes = [path("/a/<testyear:y>", other, name="a"), path("/b/{y:testyear}", other, name="b")]
    assert resolve("/a/2024", routes).kwargs == {"y": 2024}
    assert resolve("/b/2024", routes).kwargs == {"y": 2024}
    assert reverse("b", routes, kwargs={"y": 1999}) == "/b/1999"


def test_to_python_value_error_means_no_match_and_later_routes_are_tried():
    routes = [path("/y/<testyear:y>", other, name="year"), path("/y/<str:y>", other, name="fallback")]
    assert resolve("/y/1850", routes).url_name == "fallback"
    with pytest.raises(Resolver404):
        resolve("/y/1850", routes[:1])


def test_to_url_value_error_means_no_reverse_match():
    with pytest.raises(NoReverseMatch):
        reverse("r", conf("/y/<testyear:y>"), kwargs={"y": 1800})


def test_registering_the_same_class_twice_is_harmless():
    register_converter(YearConverter, "testyear")
    assert isinstance(get_converter("testyear"), YearConverter)


def test_registering_an_instance_works():
    register_converter(YearConverter(), "testyear_instance")
    assert resolve("/1999", [path("/<testyear_instance:y>", other)]).kwargs == {"y": 1999}


class OtherConverter(YearConverter):
    regex = "[a-z]+"


@pytest.mark.parametrize("name", ["int", "testyear"])
def test_registering_a_different_converter_under_a_taken_name_is_refused(name):
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_converter(OtherConverter, name)


class NoRegex:
    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class BadRegex(NoRegex):
    regex = "[a-"


class NamedGroup(NoRegex):
    regex = "(?P<inner>[a-z]+)"


class NoToUrl:
    regex = "[a-z]+"

    def to_python(self, value):
        return value


@pytest.mark.parametrize(
    ("converter", "name", "message"),
    [
        (NoRegex, "bad1", "regex"),
        (BadRegex, "bad2", "invalid regex"),
        (NamedGroup, "bad3", "named groups"),
        (NoToUrl, "bad4", "to_url"),
        (YearConverter, "not an identifier", "identifier"),
    ],
)
def test_invalid_converters_are_refused(converter, name, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        register_converter(converter, name)
