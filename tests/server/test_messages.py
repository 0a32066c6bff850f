"""The pure wire helpers: request checks, targets, response framing (RFC 9112 §6), error responses."""

from __future__ import annotations

import pytest

from duck.exceptions import (
    BadRequest,
    HttpError,
    HTTPVersionNotSupported,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    URITooLong,
)
from duck.server.config import ServerConfig
from duck.server.messages import (
    LAST_CHUNK,
    check_request,
    chunk,
    render_error,
    render_head,
    split_target,
    transfer_coding_status,
)
from duck.server.parsing import H11Parser, RequestHead


def parsed(raw: bytes) -> RequestHead:
    (head, *_rest) = H11Parser(64 * 1024).feed(raw)
    assert isinstance(head, RequestHead)
    return head


@pytest.mark.parametrize(
    ("raw", "keep_alive"),
    [
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),  # RFC 9112 §9.3: duck does not keep HTTP/1.0 connections
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False),
    ],
)
def test_check_request_reports_keep_alive(raw: bytes, keep_alive: bool):
    assert check_request(parsed(raw), ServerConfig())[0] is keep_alive


def test_check_request_counts_the_head_size_of_a_complete_head():
    event = parsed(b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"y" * 300 + b"\r\n\r\n")
    check_request(event, ServerConfig(max_head_size=400))
    with pytest.raises(RequestHeaderFieldsTooLarge) as info:
        check_request(event, ServerConfig(max_head_size=300))
    assert info.value.status_code == 431


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (b"/", ("/", "", None)),
        (b"/a%20b?x=%20&y", ("/a b", "x=%20&y", None)),
        (b"/caf%C3%A9", ("/café", "", None)),
        (b"/%2F?", ("//", "", None)),
        (b"*", ("*", "", None)),
        (b"http://example.com/p?q=1", ("/p", "q=1", "example.com")),
        (b"http://example.com", ("/", "", "example.com")),
        (b"https://Other.example:8443/x", ("/x", "", "Other.example:8443")),
    ],
)
def test_split_target(target: bytes, expected: tuple[str, str, str | None]):
    assert split_target(target) == expected


@pytest.mark.parametrize(
    "target", [b"http://user:pw@example.com/", b"http:///p", b"http://example.com:x/", b"example.com/p"]
)
def test_split_target_refuses_absolute_forms_it_cannot_trust(target: bytes):
    with pytest.raises(ValueError):
        split_target(target)


@pytest.mark.parametrize(
    ("codings", "status"),
    [
        ([b"chunked, gzip"], 400),  # chunked not last: the body cannot be framed
        ([b"chunked, chunked"], 400),
        ([b"chunked", b"chunked"], 400),  # two fields are one list (RFC 9110 §5.3)
        ([b"gzip", b"chunked"], 501),  # framed, but gzip is a coding duck does not speak
        ([b"gzip, chunked"], 501),
        ([b"gzip"], 501),
        ([b"identity"], 501),
    ],
)
def test_transfer_coding_status(codings: list[bytes], status: int):
    head = b"POST / HTTP/1.1\r\nHost: h" + b"".join(b"\r\nTransfer-Encoding: " + c for c in codings) + b"\r\n\r\n"
    assert transfer_coding_status(head) == status


def head(status: int = 200, headers=None, **kwargs):
    options = {"streaming": False, "http11": True, "keep_alive": True, **kwargs}
    return render_head(status, b"OK", list(headers if headers is not None else [(b"content-length", b"2")]), **options)


def test_render_head_plain_response():
    framed = head()
    assert framed.data == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    assert (framed.chunked, framed.keep_alive, framed.length) == (False, True, 2)


def test_render_head_stream_of_unknown_length_is_chunked_for_http11():
    framed = head(headers=[(b"content-type", b"text/plain")], streaming=True)
    assert framed.data.endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert framed.chunked and framed.keep_alive


def test_render_head_stream_of_unknown_length_to_http10_is_delimited_by_close():
    framed = head(headers=[], streaming=True, http11=False, keep_alive=False)
    assert framed.data == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"
    assert not framed.chunked and not framed.keep_alive


def test_render_head_stream_with_length_is_not_chunked():
    framed = head(headers=[(b"content-length", b"10")], streaming=True)
    assert not framed.chunked and framed.length == 10


def test_render_head_transfer_encoding_from_the_app_wins_over_content_length():
    framed = head(headers=[(b"content-length", b"2"), (b"transfer-encoding", b"chunked")])
    assert b"content-length" not in framed.data
    assert framed.chunked and framed.length is None


def test_render_head_connection_close_from_the_app_or_the_server():
    assert not head(headers=[(b"connection", b"close")]).keep_alive
    framed = head(keep_alive=False)
    assert framed.data.endswith(b"connection: close\r\n\r\n") and not framed.keep_alive


def test_render_head_no_framing_for_204_and_304():
    assert head(204, headers=[], streaming=True).data == b"HTTP/1.1 204 OK\r\n\r\n"
    assert not head(304, headers=[], streaming=True).chunked


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-a", b"v\r\nset-cookie: evil=1")],  # response splitting
        [(b"x-a", b"v\nx")],
        [(b"x-a", b"v\x00")],
        [(b"bad name", b"v")],
        [(b"x:y", b"v")],
        [(b"content-length", b"-1")],
        [(b"transfer-encoding", b"gzip")],
    ],
)
def test_render_head_refuses_headers_that_would_corrupt_the_message(headers):
    with pytest.raises(ValueError):
        head(headers=headers)


def test_render_head_refuses_an_informational_status_as_final():
    with pytest.raises(ValueError):
        head(101, headers=[])


def test_chunk_framing():
    assert chunk(b"hello world!!!!!") == b"10\r\nhello world!!!!!\r\n"
    assert LAST_CHUNK == b"0\r\n\r\n"


def test_render_error_is_complete_and_closes():
    data = render_error(431, "Too big.", [(b"date", b"D")])
    head_part, _, body = data.partition(b"\r\n\r\n")
    assert head_part.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"\r\nconnection: close" in head_part
    assert b"content-length: %d" % len(body) in head_part
    assert body == b"431 Request Header Fields Too Large\nToo big.\n"


@pytest.mark.parametrize(
    ("fields", "has_body"),
    [
        (b"", False),
        (b"Content-Length: 0\r\n", False),
        (b"Content-Length: 5\r\n", True),
        (b"Transfer-Encoding: chunked\r\n", True),
    ],
)
def test_check_request_reports_whether_a_body_follows(fields: bytes, has_body: bool):
    """RFC 9112 §6.3: without Transfer-Encoding or Content-Length a request has no body."""
    event = parsed(b"POST / HTTP/1.1\r\nHost: h\r\n" + fields + b"\r\n")
    assert check_request(event, ServerConfig())[1] is has_body


def test_render_head_refuses_a_reason_phrase_that_would_split_the_response():
    with pytest.raises(ValueError, match="reason phrase"):
        render_head(200, b"OK\r\nx-injected: 1", [], streaming=False, http11=True, keep_alive=True)


def test_render_head_with_repeated_names_still_finds_the_framing_fields():
    headers = [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"connection", b"x"), (b"connection", b"close")]
    framed = head(headers=[*headers, (b"content-length", b"2")])
    assert framed.data.count(b"set-cookie") == 2
    assert not framed.keep_alive and framed.length == 2
    with pytest.raises(ValueError, match="Conflicting"):
        head(headers=[(b"content-length", b"2"), (b"content-length", b"3")])


@pytest.mark.parametrize(
    ("raw", "config", "refusal", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", ServerConfig(max_url_length=0), URITooLong, 414),
        (b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", ServerConfig(max_headers=1), RequestHeaderFieldsTooLarge, 431),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", ServerConfig(), BadRequest, 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", ServerConfig(), BadRequest, 400),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
            ServerConfig(max_body_size=10),
            RequestEntityTooLarge,
            413,
        ),
    ],
    ids=["long-target", "many-fields", "chunked-http10", "control-character", "large-body"],
)
def test_check_request_raises_the_exception_trees_own_errors(raw, config, refusal, status):
    with pytest.raises(refusal) as info:
        check_request(parsed(raw), config)
    assert isinstance(info.value, HttpError) and info.value.status_code == status


def test_an_unknown_http_version_is_505():
    event = RequestHead(b"GET", b"/", b"2.0", [(b"host", b"h")])  # h11 parses only 1.x: made by hand
    with pytest.raises(HTTPVersionNotSupported, match=r"HTTP/2\.0"):
        check_request(event, ServerConfig())
