"""SpooledBody: small bodies stay in memory, large ones move to a temporary file as they arrive."""

from __future__ import annotations

import io

import pytest

from duck.conf import settings
from duck.exceptions import RequestEntityTooLarge
from duck.http.body import SpooledBody
from duck.http.datastructures import Headers
from duck.http.request import Request
from tests.http.test_multipart import BROWSER_BODY, CONTENT_TYPE


def test_a_small_body_stays_in_memory_and_reads_back_without_a_copy():
    body = SpooledBody(memory_limit=10)
    piece = b"hello"
    body.write(piece)
    assert body.in_memory and len(body) == 5
    assert body.finished() is piece


def test_a_single_bytearray_piece_reads_back_as_bytes():
    """h11 hands duck's server bytearrays: request.body must still be bytes (a multipart body was a 500)."""
    body = SpooledBody(memory_limit=100)
    body.write(bytearray(BROWSER_BODY[:50]))
    assert type(body.read()) is bytes and body.read() == BROWSER_BODY[:50]


def test_a_multipart_body_in_a_bytearray_is_parsed():
    request = Request("POST", "/", headers=Headers([("content-type", CONTENT_TYPE)]), body=bytearray(BROWSER_BODY))
    try:
        assert request.POST and request.FILES
    finally:
        request.close()


def test_a_body_moves_to_disk_when_it_passes_the_limit():
    body = SpooledBody(memory_limit=10)
    for piece in (b"abcd", b"efgh", b"ijkl"):
        body.write(piece)
    assert not body.in_memory
    assert body.finished() is body
    assert body.read() == b"abcdefghijkl"
    assert list(body.chunks(5)) == [b"abcde", b"fghij", b"kl"]
    body.close()
    assert body.in_memory and list(body.chunks()) == []


def test_request_body_reads_a_spooled_body_within_the_memory_limit():
    spooled = SpooledBody(memory_limit=4)
    spooled.write(b'{"a": 1}')
    with settings.override(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        request = Request("POST", "/", headers=Headers({"content-type": "application/json"}), body=spooled)
        assert request.json() == {"a": 1}
    with settings.override(DATA_UPLOAD_MAX_MEMORY_SIZE=5), pytest.raises(RequestEntityTooLarge):
        _ = Request("POST", "/", body=spooled).body
    request.close()
    assert spooled.in_memory and spooled.size == 8  # released: no file left behind


def test_a_spooled_multipart_body_is_parsed_piece_by_piece():
    spooled = SpooledBody(memory_limit=64)
    for start in range(0, len(BROWSER_BODY), 50):
        spooled.write(BROWSER_BODY[start : start + 50])
    assert not spooled.in_memory
    request = Request("POST", "/", headers=Headers({"content-type": CONTENT_TYPE}), body=spooled)
    direct = Request("POST", "/", headers=Headers({"content-type": CONTENT_TYPE}), body=BROWSER_BODY)
    assert request.POST == direct.POST
    assert [(name, f.read()) for name, f in request.FILES.multi_items()] == [
        (name, f.read()) for name, f in direct.FILES.multi_items()
    ]
    request.close()
    direct.close()


def test_wsgi_spools_a_large_body():
    from duck.wsgi import request_from_environ

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": "300000",
        "wsgi.input": io.BytesIO(b"z" * 300_000),
    }
    with settings.override(DATA_UPLOAD_MAX_MEMORY_SIZE=100_000):
        request = request_from_environ(environ)
    assert isinstance(request._body, SpooledBody) and not request._body.in_memory
    request.close()


async def test_asgi_spools_a_large_body():
    from duck.asgi import _read_body

    messages = [{"type": "http.request", "body": b"z" * 60_000, "more_body": True} for _ in range(4)]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive():
        return messages.pop(0)

    with settings.override(DATA_UPLOAD_MAX_MEMORY_SIZE=100_000):
        body = await _read_body({"type": "http", "headers": []}, receive)
    assert isinstance(body, SpooledBody) and not body.in_memory and body.size == 240_000
    body.close()


def test_a_body_received_as_a_bytearray_reads_back_as_bytes_and_parses_as_a_form():
    """Regression: h11 hands the server bytearrays; a urlencoded form with %-escapes was a 500."""
    body = SpooledBody(1024)
    body.write(bytearray(b"next=%2Fchat%2Fducks&name=a+b"))
    assert type(body.read()) is bytes  # what duck's server hands the request
    headers = Headers({"content-type": "application/x-www-form-urlencoded"})
    request = Request("POST", "/", headers=headers, body=bytearray(b"next=%2Fchat%2Fducks&name=a+b"))
    assert request.POST["next"] == "/chat/ducks" and request.POST["name"] == "a b"
