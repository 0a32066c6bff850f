"""The two request parsers produce the same events from the same bytes, however the bytes are cut."""

from __future__ import annotations

import random

import pytest

from duck.exceptions import BadRequest, HttpError, NotImplementedByServer, RequestHeaderFieldsTooLarge
from duck.server.parsing import CLOSED, END, H11Parser, HttptoolsParser, RequestHead

PARSERS = [H11Parser, HttptoolsParser]

PIPELINE = (
    b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Two: 2\r\n\r\n"
    b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    b"GET /d HTTP/1.0\r\n\r\n"
)


def normalized(events) -> list[object]:
    """Heads as tuples and body pieces joined, so that how the bytes were cut does not matter."""
    out: list[object] = []
    for event in events:
        if isinstance(event, RequestHead):
            out.append((event.method, event.target, event.http_version, event.headers))
        elif isinstance(event, bytes):
            if out and isinstance(out[-1], bytes):
                out[-1] += event
            else:
                out.append(event)
        else:
            out.append(event)
    return out


def feed_all(parser, pieces) -> list[object]:
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    return normalized(events)


EXPECTED = [
    (b"GET", b"/a?x=1", b"1.1", [(b"host", b"h"), (b"x-two", b"2")]),
    END,
    (b"POST", b"/b", b"1.1", [(b"host", b"h"), (b"content-length", b"5")]),
    b"hello",
    END,
    (b"POST", b"/c", b"1.1", [(b"host", b"h"), (b"transfer-encoding", b"chunked")]),
    b"abcde",
    END,
    (b"GET", b"/d", b"1.0", []),
    END,
]


@pytest.mark.parametrize("make", PARSERS)
def test_pipelined_requests_whole(make):
    assert feed_all(make(65536), [PIPELINE]) == EXPECTED


@pytest.mark.parametrize("make", PARSERS)
def test_pipelined_requests_byte_by_byte(make):
    assert feed_all(make(65536), [PIPELINE[i : i + 1] for i in range(len(PIPELINE))]) == EXPECTED


@pytest.mark.parametrize("make", PARSERS)
@pytest.mark.parametrize("seed", range(5))
def test_pipelined_requests_cut_at_random(make, seed):
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(PIPELINE)), 12))
    pieces = [PIPELINE[a:b] for a, b in zip([0, *cuts], [*cuts, len(PIPELINE)], strict=True)]
    assert feed_all(make(65536), pieces) == EXPECTED


@pytest.mark.parametrize("make", PARSERS)
def test_an_upgrade_request_holds_what_follows(make):
    parser = make(65536)
    events = parser.feed(b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi")
    assert normalized(events)[1:] == [END]
    assert parser.held == b"\x81\x02hi"  # for the protocol the connection switches to


@pytest.mark.parametrize("make", PARSERS)
def test_after_an_upgrade_that_did_not_happen_the_next_request_is_parsed(make):
    parser = make(65536)
    upgrade = b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    parser.feed(upgrade + b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
    assert normalized(parser.resume())[0][1] == b"/next"


@pytest.mark.parametrize("make", PARSERS)
def test_eof_between_requests_and_in_the_middle_of_one(make):
    parser = make(65536)
    assert parser.feed_eof() == [CLOSED]
    parser = make(65536)
    parser.feed(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(BadRequest):
        parser.feed_eof()


@pytest.mark.parametrize("make", PARSERS)
def test_in_message_says_whether_a_request_has_started(make):
    parser = make(65536)
    assert not parser.in_message
    parser.feed(b"GET / HT")
    assert parser.in_message
    parser.feed(b"TP/1.1\r\nHost: h\r\n\r\n")
    assert not parser.in_message


@pytest.mark.parametrize("make", PARSERS)
@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", BadRequest),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", BadRequest),
        (b"GARBAGE\r\n\r\n", BadRequest),
        (b"GET / HTTP/1.1\r\n X: folded\r\n\r\n", BadRequest),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", BadRequest),
    ],
)
def test_what_the_parsers_refuse_is_the_same(make, raw, error):
    with pytest.raises(HttpError) as info:
        make(65536).feed(raw)
    assert type(info.value) is error


@pytest.mark.parametrize("make", PARSERS)
def test_an_incomplete_head_over_the_limit_is_refused(make):
    parser = make(1024)
    with pytest.raises(RequestHeaderFieldsTooLarge):
        parser.feed(b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X: " + b"y" * 2000)


def test_an_unknown_method_with_a_well_formed_line_is_501_under_llhttp():
    with pytest.raises(NotImplementedByServer):
        HttptoolsParser(65536).feed(b"BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n")
