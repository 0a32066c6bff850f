"""Request parsing: query, cookies, host validation, body limits, JSON, forms, WebSocket detection."""

from __future__ import annotations

import pytest

from duck.conf import settings
from duck.exceptions import BadRequest, DisallowedHost, RequestEntityTooLarge
from duck.http.datastructures import Headers
from duck.http.request import Request


def request(headers: dict[str, str] | None = None, **kwargs) -> Request:
    all_headers = {"host": "testserver", **(headers or {})}
    return Request(kwargs.pop("method", "GET"), kwargs.pop("path", "/"), headers=Headers(all_headers), **kwargs)


@pytest.fixture(autouse=True)
def allowed_hosts():
    with settings.override(ALLOWED_HOSTS=["testserver", ".example.com"], DEBUG=False):
        yield


def test_query_params_are_a_multidict():
    req = request(query_string="a=1&b=two+words&a=3&flag")
    assert req.GET["a"] == "3"
    assert req.GET.getlist("a") == ["1", "3"]
    assert req.query_params["b"] == "two words"
    assert req.GET["flag"] == ""


@pytest.mark.parametrize("query", ["a=%zz", "a=%2", "a=%ff%fe"])
def test_malformed_query_string_is_bad_request(query):
    with pytest.raises(BadRequest):
        request(query_string=query).GET  # noqa: B018


def test_too_many_query_fields_is_bad_request():
    with settings.override(DATA_UPLOAD_MAX_NUMBER_FIELDS=3), pytest.raises(BadRequest, match="Too many"):
        request(query_string="a=1&b=2&c=3&d=4").GET  # noqa: B018


def test_headers_are_case_insensitive():
    req = request({"X-Thing": "v"})
    assert req.headers["x-thing"] == req.headers["X-THING"] == "v"


def test_cookies_parsed_from_every_cookie_header():
    req = Request("GET", "/", headers=Headers([("host", "testserver"), ("cookie", 'a=1; b="2"'), ("cookie", "c=%20")]))
    assert req.COOKIES == {"a": "1", "b": "2", "c": " "}


@pytest.mark.parametrize("cookie", ["=novalue", "a=1; bad name=2", "a=\x01"])
def test_malformed_cookies_are_bad_request(cookie):
    with pytest.raises(BadRequest):
        request({"cookie": cookie}).cookies  # noqa: B018


@pytest.mark.parametrize("host", ["testserver", "testserver:8000", "api.example.com", "example.com", "TESTSERVER"])
def test_allowed_hosts(host):
    assert request({"host": host}).get_host() == host.lower()


@pytest.mark.parametrize("host", ["evil.com", "testserver.evil.com", "bad host", "a@b", "testserver:99999999", ""])
def test_disallowed_hosts(host):
    with pytest.raises(DisallowedHost):
        request({"host": host}).get_host()


def test_debug_allows_localhost_when_allowed_hosts_is_empty():
    with settings.override(ALLOWED_HOSTS=[], DEBUG=True):
        assert request({"host": "localhost:8000"}).host == "localhost:8000"
        with pytest.raises(DisallowedHost):
            request({"host": "example.org"}).host  # noqa: B018


def test_json_body():
    assert request({"content-type": "application/json"}, body=b'{"a": [1, 2]}').json() == {"a": [1, 2]}


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe"])
def test_malformed_json_is_bad_request(body):
    with pytest.raises(BadRequest):
        request(body=body).json()


def test_body_above_limit_is_413():
    with settings.override(DATA_UPLOAD_MAX_MEMORY_SIZE=10), pytest.raises(RequestEntityTooLarge):
        request(body=b"x" * 11).body  # noqa: B018


def test_urlencoded_form():
    req = request({"content-type": "application/x-www-form-urlencoded"}, method="POST", body=b"a=1&a=2&b=%C3%A9")
    assert req.POST.getlist("a") == ["1", "2"]
    assert req.form["b"] == "é"
    assert len(req.FILES) == 0


def test_multipart_form_with_file():
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n"
    )
    req = request({"content-type": "multipart/form-data; boundary=XyZ"}, method="POST", body=body)
    assert req.POST["title"] == "hello"
    upload = req.FILES["doc"]
    assert (upload.filename, upload.read()) == ("a.txt", b"file body")
    req.close()


def test_malformed_multipart_is_bad_request():
    req = request({"content-type": "multipart/form-data; boundary=XyZ"}, method="POST", body=b"garbage")
    with pytest.raises(BadRequest):
        req.POST  # noqa: B018


def test_content_type_and_charset():
    req = request({"content-type": "Text/Plain; Charset=latin-1"})
    assert (req.content_type, req.charset) == ("text/plain", "latin-1")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"upgrade": "websocket", "connection": "Upgrade"}, True),
        ({"upgrade": "WebSocket", "connection": "keep-alive, upgrade"}, True),
        ({"upgrade": "h2c", "connection": "Upgrade"}, False),
        ({"upgrade": "websocket"}, False),
        ({}, False),
    ],
)
def test_is_websocket(headers, expected):
    assert request(headers).is_websocket() is expected


def test_full_path_and_absolute_uri():
    req = request(path="/a b/é", query_string="x=1")
    assert req.get_full_path() == "/a%20b/%C3%A9?x=1"
    assert req.build_absolute_uri("/other") == "http://testserver/other"
    assert req.build_absolute_uri() == "http://testserver/a%20b/%C3%A9?x=1"
