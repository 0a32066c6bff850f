"""Responses: reason phrases, headers, cookies, JSON, redirects, streaming and files."""

from __future__ import annotations

import asyncio
import datetime
import uuid

import pytest

from duck.http.response import (
    FileResponse,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    JsonResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from duck.http.status import reason_phrase


def headers_of(response) -> dict[bytes, list[bytes]]:
    result: dict[bytes, list[bytes]] = {}
    for name, value in response.header_list():
        result.setdefault(name, []).append(value)
    return result


def test_defaults_and_content_length():
    response = HttpResponse("héllo")
    assert response.status_code == 200 and response.reason_phrase == "OK"
    assert headers_of(response)[b"content-type"] == [b"text/html; charset=utf-8"]
    assert headers_of(response)[b"content-length"] == [str(len("héllo".encode())).encode()]


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (404, "Not Found"),
        (413, "Content Too Large"),  # RFC 9110 names on every Python version
        (414, "URI Too Long"),
        (418, "I'm a Teapot"),
        (425, "Too Early"),
        (599, "Server Error"),
        (299, "Success"),
    ],
)
def test_reason_phrases_are_always_present(code, phrase):
    assert reason_phrase(code) == phrase
    assert HttpResponse(status=code).reason_phrase == phrase


def test_invalid_status_is_refused():
    with pytest.raises(ValueError):
        HttpResponse(status=99)


def test_no_content_length_for_204_and_304():
    assert b"content-length" not in headers_of(HttpResponse(status=204))
    assert b"content-length" not in headers_of(HttpResponse(status=304))


def test_header_access_is_case_insensitive():
    response = PlainTextResponse("x")
    response["X-Frame-Options"] = "DENY"
    assert response["x-frame-options"] == "DENY"
    assert response["content-type"] == "text/plain; charset=utf-8"


def test_set_and_delete_cookie():
    response = HttpResponse()
    response.set_cookie("session", "abc", max_age=60, httponly=True, secure=True)
    response.delete_cookie("old")
    session, old = headers_of(response)[b"set-cookie"]
    assert session.startswith(b"session=abc; Expires=")  # set from Max-Age, for clients that ignore it
    assert session.endswith(b"; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax")
    assert old == b"old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"


def test_cookie_attributes_as_django_takes_them():
    response = HttpResponse()
    response.set_cookie("a", "1", expires=datetime.datetime(2030, 1, 2, 3, 4, 5), samesite="strict", path="/app")
    response.set_cookie("b", "2", max_age=datetime.timedelta(hours=1), expires="Wed, 01 Jan 2031 00:00:00 GMT")
    response.set_cookie("c", "3", secure=True, samesite="None", partitioned=True, domain="example.com")
    response.set_cookie("d", "4", samesite=None)
    a, b, c, d = headers_of(response)[b"set-cookie"]
    assert a == b"a=1; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; SameSite=Strict"  # naive means UTC
    assert b == b"b=2; Expires=Wed, 01 Jan 2031 00:00:00 GMT; Max-Age=3600; Path=/; SameSite=Lax"
    assert c == b"c=3; Domain=example.com; Path=/; Secure; SameSite=None; Partitioned"
    assert d == b"d=4; Path=/"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("a", "has;semicolon"), {}, "percent-encode"),
        (("a", "has space"), {}, "percent-encode"),
        (("a", 'quo"te'), {}, "percent-encode"),
        (("bad name", "v"), {}, "Invalid cookie name"),
        (("a", "v"), {"samesite": "Sometimes"}, "samesite must be"),
        (("a", "v"), {"samesite": "None"}, "secure=True"),  # browsers drop SameSite=None without Secure
        (("a", "v"), {"partitioned": True}, "secure=True"),
        (("a", "v"), {"path": "/x; Domain=evil.example"}, "Invalid cookie path"),
        (("a", "v"), {"domain": "example.com\r\nX-Injected: 1"}, "Invalid cookie domain"),
        (("a", "v"), {"expires": "soon; HttpOnly"}, "Invalid cookie expires"),
        (("a", "x" * 5000), {}, "browsers drop cookies over 4096"),
    ],
)
def test_cookies_that_would_break_the_header_or_be_dropped_are_refused(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        HttpResponse().set_cookie(*args, **kwargs)


def test_set_cookie_takes_no_unknown_options():
    with pytest.raises(TypeError):
        HttpResponse().set_cookie("a", "v", max_agee=60)  # a typo is an error, not a silent no-op


def test_json_response_encodes_extra_types():
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    ident = uuid.UUID(int=1)
    response = JsonResponse({"when": when, "id": ident, "name": "é"}, status=201)
    assert response.status_code == 201
    assert (
        response.content.decode()
        == '{"when":"2026-01-02T03:04:05","id":"00000000-0000-0000-0000-000000000001","name":"é"}'
    )
    assert response["content-type"] == "application/json"


def test_redirect_and_unsafe_scheme():
    assert RedirectResponse("/next page").url == "/next%20page"
    assert RedirectResponse("/x", status=307).status_code == 307
    with pytest.raises(ValueError):
        RedirectResponse("javascript:alert(1)")
    with pytest.raises(ValueError):
        RedirectResponse("/x", status=200)


def test_error_responses():
    assert HttpResponseNotFound("gone").status_code == 404
    not_allowed = HttpResponseNotAllowed(["post", "GET"])
    assert (not_allowed.status_code, not_allowed["allow"]) == (405, "GET, POST")


def test_streaming_sync_iterator_both_ways():
    response = StreamingResponse(iter(["a", b"b"]), content_type="text/plain")
    assert b"content-length" not in headers_of(response)
    assert list(response.iter_sync()) == [b"a", b"b"]

    async def collect():
        return [c async for c in StreamingResponse(iter([b"x", "y"])).iter_async()]

    assert asyncio.run(collect()) == [b"x", b"y"]


def test_streaming_async_iterator_both_ways():
    async def gen():
        for part in ("1", "2", "3"):
            await asyncio.sleep(0)
            yield part

    assert list(StreamingResponse(gen()).iter_sync()) == [b"1", b"2", b"3"]

    async def collect():
        return [c async for c in StreamingResponse(gen()).iter_async()]

    assert asyncio.run(collect()) == [b"1", b"2", b"3"]


def test_streaming_response_has_no_content():
    with pytest.raises(AttributeError):
        StreamingResponse(iter([])).content  # noqa: B018


def test_file_response(tmp_path):
    target = tmp_path / "report é.txt"
    target.write_bytes(b"x" * 200_000)
    response = FileResponse(target, as_attachment=True)
    try:
        assert response["content-length"] == "200000"
        assert response["content-type"] == "text/plain; charset=utf-8"
        assert response["content-disposition"] == "attachment; filename*=utf-8''report%20%C3%A9.txt"
        chunks = list(response.iter_sync())
        assert len(chunks) == 4 and sum(map(len, chunks)) == 200_000
    finally:
        response.close()
    assert response.file.closed


def test_closing_the_async_stream_early_closes_the_views_generator_at_once():
    finished: list[str] = []

    async def produce():
        try:
            for part in ("a", "b", "c"):
                yield part
        finally:
            finished.append("cleanup")

    async def take_one() -> tuple[bytes, list[str]]:
        stream = StreamingResponse(produce()).iter_async()
        first = await stream.__anext__()
        await stream.aclose()  # what a front door does when the client goes away
        return first, list(finished)  # before asyncio.run's own clean-up of leftover generators

    assert asyncio.run(take_one()) == (b"a", ["cleanup"])
