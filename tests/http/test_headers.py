"""Headers: case-insensitive, repeated fields kept in order, backed by a dict; the wire form rendered once."""

from __future__ import annotations

from duck.http.datastructures import Headers


def test_names_are_case_insensitive_for_every_operation():
    headers = Headers([("Content-Type", "text/plain")])
    assert "content-type" in headers and "CONTENT-TYPE" in headers
    assert headers["Content-TYPE"] == headers.get("content-type") == "text/plain"
    headers["CONTENT-type"] = "text/html"
    assert headers.items() == [("content-type", "text/html")]
    del headers["Content-Type"]
    assert "content-type" not in headers and len(headers) == 0


def test_repeated_fields_keep_their_order_and_get_gives_the_first():
    headers = Headers([("set-cookie", "a=1"), ("vary", "Cookie"), ("Set-Cookie", "b=2")])
    assert headers.get("set-cookie") == "a=1"
    assert headers.getlist("SET-COOKIE") == ["a=1", "b=2"]
    assert len(headers) == 3
    assert list(headers) == ["set-cookie", "vary"]  # each name once, in first-set order


def test_setting_replaces_every_field_of_that_name_and_puts_it_last():
    headers = Headers([("a", "1"), ("b", "2"), ("a", "3")])
    headers["a"] = "4"
    assert headers.items() == [("b", "2"), ("a", "4")]
    assert len(headers) == 2


def test_add_setdefault_pop_and_missing_names():
    headers = Headers()
    headers.add("X-A", "1")
    headers.add("x-a", "2")
    assert headers.setdefault("x-a", "ignored") == "1"
    assert headers.setdefault("X-B", "3") == "3"
    assert headers.pop("X-A") == "1" and "x-a" not in headers
    assert headers.pop("missing", "default") == "default"
    del headers["missing"]  # deleting an absent field is not an error
    assert headers.get("missing") is None and headers.getlist("missing") == []
    assert len(headers) == 1
    assert 42 not in headers


def test_raw_is_rendered_once_and_again_after_a_change():
    headers = Headers([("content-type", "text/plain"), ("x-a", "1")])
    first = headers.raw()
    assert first == [(b"content-type", b"text/plain"), (b"x-a", b"1")]
    first.append((b"content-length", b"5"))  # the caller's list: the headers are not changed
    assert headers.raw() == [(b"content-type", b"text/plain"), (b"x-a", b"1")]
    for change in (lambda h: h.add("x-a", "2"), lambda h: h.__setitem__("x-b", "3"), lambda h: h.__delitem__("x-a")):
        before = headers.raw()
        change(headers)
        assert headers.raw() != before
    assert headers.raw() == [(b"content-type", b"text/plain"), (b"x-b", b"3")]


def test_from_raw_lower_cases_and_decodes_latin1():
    headers = Headers.from_raw([(b"Host", b"example.com"), (b"x-name", "café".encode("latin-1")), (b"host", b"b")])
    assert headers.getlist("host") == ["example.com", "b"]
    assert headers["x-name"] == "café"
    assert len(headers) == 3


def test_copy_is_independent_and_equality_ignores_order():
    headers = Headers([("a", "1"), ("b", "2")])
    copy = headers.copy()
    copy["a"] = "changed"
    assert headers["a"] == "1"
    assert Headers([("b", "2"), ("A", "1")]) == headers
    assert Headers([("a", "1")]) != headers
    assert repr(headers) == "Headers([('a', '1'), ('b', '2')])"


def test_mapping_input_and_values_become_strings():
    headers = Headers({"Content-Length": 5})  # type: ignore[dict-item]
    assert headers["content-length"] == "5"


def test_add_missing_sets_only_the_absent_names_and_renders_again():
    headers = Headers([("content-type", "text/plain"), ("x-frame-options", "SAMEORIGIN")])
    assert headers.raw() == [(b"content-type", b"text/plain"), (b"x-frame-options", b"SAMEORIGIN")]
    headers.add_missing([("x-frame-options", "DENY"), ("referrer-policy", "same-origin")])
    assert headers["x-frame-options"] == "SAMEORIGIN"  # the view's own value is kept
    assert headers["referrer-policy"] == "same-origin"
    assert len(headers) == 3
    assert headers.raw()[-1] == (b"referrer-policy", b"same-origin")
    headers.add_missing([("referrer-policy", "no-referrer")])
    assert len(headers) == 3 and headers["referrer-policy"] == "same-origin"
