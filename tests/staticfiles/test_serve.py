"""serve(): content types, validators and 304, byte ranges, HEAD, and refusing unsafe paths."""

from __future__ import annotations

import os
import time
from email.utils import formatdate

import pytest

from duck.exceptions import Http404, MethodNotAllowed
from duck.http.response import FileResponse
from duck.staticfiles import serve
from tests.staticfiles.conftest import DIGITS, body_of, make_request


def get(path: str, method: str = "GET", **headers: str):
    return serve(make_request("/static/" + path, method, **headers), path)


# -- content types ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("css/site.css", "text/css; charset=utf-8"),
        ("js/app.js", "text/javascript; charset=utf-8"),
        ("digits.txt", "text/plain; charset=utf-8"),
        ("img/logo.png", "image/png"),
        ("img/icon.svg", "image/svg+xml; charset=utf-8"),
        ("data.bin.gz", "application/gzip"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_extension_with_charset_for_text(path, content_type):
    response = get(path)
    assert response["content-type"] == content_type
    body_of(response)


def test_file_is_streamed_with_its_length_and_safety_headers():
    response = get("css/site.css")
    assert isinstance(response, FileResponse)
    assert response.streaming
    assert response["content-length"] == "20"
    assert response["x-content-type-options"] == "nosniff"
    assert response["accept-ranges"] == "bytes"
    assert body_of(response) == b"body { color: red; }"


def test_large_file_is_sent_in_chunks(static_dirs):
    big = static_dirs[0] / "big.bin"
    big.write_bytes(os.urandom(300_000))
    response = get("big.bin")
    try:
        chunks = list(response.iter_sync())
    finally:
        response.close()
    assert len(chunks) > 1
    assert b"".join(chunks) == big.read_bytes()


def test_empty_file_is_served():
    response = get("empty.txt")
    assert response["content-length"] == "0"
    assert body_of(response) == b""


def test_first_static_folder_wins_and_later_folders_are_searched():
    assert body_of(get("shared.txt")) == b"from first"
    assert body_of(get("extra/only-here.txt")) == b"second only"


def test_document_root_serves_from_that_folder(static_dirs):
    request = make_request("/media/only-here.txt")
    assert body_of(serve(request, "only-here.txt", document_root=static_dirs[1] / "extra")) == b"second only"
    with pytest.raises(Http404):
        serve(request, "../shared.txt", document_root=static_dirs[1] / "extra")


# -- validators (RFC 9110 §8.8, §13) -------------------------------------------------------------------
def test_etag_and_last_modified_are_sent(static_dirs):
    response = get("digits.txt")
    body_of(response)
    stat = (static_dirs[0] / "digits.txt").stat()
    assert response["etag"].startswith('"') and response["etag"].endswith('"')
    assert response["last-modified"] == formatdate(stat.st_mtime, usegmt=True)
    assert response["cache-control"] == "no-cache"


def test_etag_changes_when_the_file_changes(static_dirs):
    first = get("digits.txt")
    body_of(first)
    path = static_dirs[0] / "digits.txt"
    path.write_bytes(b"changed!")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    second = get("digits.txt")
    body_of(second)
    assert first["etag"] != second["etag"]


def test_if_none_match_with_the_current_etag_gives_304_without_body():
    etag = get("digits.txt", "HEAD")["etag"]
    response = get("digits.txt", if_none_match=etag)
    assert response.status_code == 304
    assert response["etag"] == etag
    assert "content-type" not in response
    assert response.content == b""
    assert not any(name == b"content-length" for name, _ in response.header_list())


@pytest.mark.parametrize("form", ['"other", {etag}', "W/{etag}", "*"])
def test_if_none_match_lists_weak_tags_and_star_match(form):
    etag = get("digits.txt", "HEAD")["etag"]
    assert get("digits.txt", if_none_match=form.format(etag=etag)).status_code == 304


def test_if_none_match_with_another_etag_gives_the_file():
    response = get("digits.txt", if_none_match='"stale"')
    assert response.status_code == 200
    assert body_of(response) == DIGITS


def test_if_modified_since_not_older_than_the_file_gives_304():
    last_modified = get("digits.txt", "HEAD")["last-modified"]
    response = get("digits.txt", if_modified_since=last_modified)
    assert response.status_code == 304
    assert response["last-modified"] == last_modified


def test_if_modified_since_older_than_the_file_gives_the_file():
    response = get("digits.txt", if_modified_since="Sat, 01 Jan 2000 00:00:00 GMT")
    assert response.status_code == 200
    body_of(response)


def test_unparsable_if_modified_since_is_ignored():
    response = get("digits.txt", if_modified_since="yesterday-ish")
    assert response.status_code == 200
    body_of(response)


def test_if_none_match_takes_precedence_over_if_modified_since():
    # RFC 9110 §13.2.2: a client that sends both gets the etag comparison.
    last_modified = get("digits.txt", "HEAD")["last-modified"]
    response = get("digits.txt", if_none_match='"stale"', if_modified_since=last_modified)
    assert response.status_code == 200
    body_of(response)


# -- byte ranges (RFC 9110 §14) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-3", b"0123", "bytes 0-3/10"),
        ("bytes=4-", b"456789", "bytes 4-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
        ("bytes=-100", DIGITS, "bytes 0-9/10"),
        ("bytes=5-5", b"5", "bytes 5-5/10"),
    ],
)
def test_single_range_gives_206_with_content_range(header, body, content_range):
    response = get("digits.txt", range=header)
    assert response.status_code == 206
    assert response["content-range"] == content_range
    assert response["content-length"] == str(len(body))
    assert body_of(response) == body


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_unsatisfiable_range_gives_416_with_the_length(header):
    response = get("digits.txt", range=header)
    assert response.status_code == 416
    assert response["content-range"] == "bytes */10"


def test_any_range_of_an_empty_file_is_unsatisfiable():
    assert get("empty.txt", range="bytes=-5").status_code == 416


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=abc", "bytes=-", "bytes 0-1"])
def test_multiple_or_malformed_ranges_give_the_whole_file(header):
    response = get("digits.txt", range=header)
    assert response.status_code == 200
    assert body_of(response) == DIGITS


def test_if_range_with_the_current_etag_honours_the_range():
    etag = get("digits.txt", "HEAD")["etag"]
    response = get("digits.txt", range="bytes=0-1", if_range=etag)
    assert response.status_code == 206
    assert body_of(response) == b"01"


@pytest.mark.parametrize("if_range", ['"stale"', "W/{etag}", "Sat, 01 Jan 2000 00:00:00 GMT"])
def test_if_range_that_does_not_match_gives_the_whole_file(if_range):
    etag = get("digits.txt", "HEAD")["etag"]
    response = get("digits.txt", range="bytes=0-1", if_range=if_range.format(etag=etag))
    assert response.status_code == 200
    assert body_of(response) == DIGITS


def test_if_range_with_the_last_modified_date_honours_the_range():
    last_modified = get("digits.txt", "HEAD")["last-modified"]
    response = get("digits.txt", range="bytes=2-3", if_range=last_modified)
    assert response.status_code == 206
    assert body_of(response) == b"23"


# -- HEAD and methods ----------------------------------------------------------------------------------
def test_head_sends_the_headers_of_get_without_a_body():
    response = get("digits.txt", "HEAD")
    assert response.status_code == 200
    assert response["content-length"] == "10"
    assert response["content-type"] == "text/plain; charset=utf-8"
    assert "etag" in response
    assert response.content == b""
    assert not response.streaming


def test_head_ignores_range():
    # RFC 9110 §14.2: range handling is defined for GET only.
    response = get("digits.txt", "HEAD", range="bytes=0-1")
    assert response.status_code == 200
    assert response["content-length"] == "10"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_not_allowed(method):
    with pytest.raises(MethodNotAllowed) as info:
        get("digits.txt", method)
    assert info.value.allowed == ["GET", "HEAD"]


# -- what is never served ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "css/../../secret.txt",
        "%2e%2e/secret.txt",
        "%2E%2E/secret.txt",
        "..%2fsecret.txt",
        "css/%2e%2e/%2e%2e/secret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "..\\secret.txt",
        "css\\..\\..\\secret.txt",
        "digits.txt\x00.css",
        "%00",
        "C:/Windows/win.ini",
        "c:secret.txt",
        "./digits.txt",
        "css//site.css",
        "",
        "css",
        "css/",
        "img",
        ".env",
        "notes.txt~",
        "missing.css",
    ],
)
def test_unsafe_paths_folders_hidden_and_missing_files_are_404(path):
    with pytest.raises(Http404):
        get(path)
