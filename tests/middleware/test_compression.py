"""CompressionMiddleware: Accept-Encoding negotiation, the codings, Vary, ETag, every skip rule, streams.

Negotiation is tested as a pure function; the rules through the in-process test client against the
views of tests/middleware/compression_project (served for real by test_compression_servers.py).
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import pytest

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.http.compression import (
    available_codings,
    compress,
    compression_settings,
    is_compressible_type,
    negotiate,
    new_encoder,
    parse_accept_encoding,
)
from duck.test import Client
from tests.middleware.compression_project import urls as project

brotli = pytest.importorskip("brotli")
zstandard = pytest.importorskip("zstandard")

ALL = ("zstd", "br", "gzip")
BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends


def decode(data: bytes, coding: str | None) -> bytes:
    if coding is None:
        return data
    if coding == "gzip":
        return gzip.decompress(data)
    if coding == "br":
        return bytes(brotli.decompress(data))
    return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(data))


class PartialDecoder:
    """Decodes a compressed stream as it arrives (what a browser does with each network read)."""

    def __init__(self, coding: str) -> None:
        if coding == "gzip":
            self.process = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
        elif coding == "br":
            self.process = brotli.Decompressor().process
        else:
            self.process = zstandard.ZstdDecompressor().decompressobj().decompress

    def __call__(self, data: bytes) -> bytes:
        return bytes(self.process(data))


# -- negotiation (RFC 9110 §12.5.3) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", {"gzip": 1.0, "deflate": 1.0, "br": 1.0, "zstd": 1.0}),
        ("GZIP ; Q=0.5, br;q=0", {"gzip": 0.5, "br": 0.0}),
        ("x-gzip;q=0.3", {"gzip": 0.3}),
        ("gzip;q=1.000, br;q=0.001, *;q=0", {"gzip": 1.0, "br": 0.001, "*": 0.0}),
        ("gzip;q=2, br;q=0.1234, zstd;q=abc, identity", {"identity": 1.0}),  # malformed weights: ignored
        ("gzip;q=0.5, gzip;q=1", {"gzip": 0.5}),  # a repeated coding: its first weight
        ("", {}),
        (" , ;q=1, br", {"br": 1.0}),
    ],
)
def test_parse_accept_encoding(header: str, expected: dict[str, float]):
    assert parse_accept_encoding(header) == expected


@pytest.mark.parametrize(
    ("header", "offered", "expected"),
    [
        (None, ALL, None),  # no Accept-Encoding: clients that do not ask (curl, scripts) get identity
        ("", ALL, None),  # an empty value means "identity only"
        (BROWSER, ALL, "zstd"),  # equal weights: the server's order decides
        (BROWSER, ("br", "gzip"), "br"),
        ("gzip, br;q=0.9, zstd;q=0.8", ALL, "gzip"),  # the client's weights come first
        ("br;q=0, gzip;q=0.1", ALL, "gzip"),  # q=0 refuses a coding
        ("zstd;q=0", ("zstd",), None),
        ("*", ALL, "zstd"),  # any coding
        ("*;q=0.5, zstd;q=0", ALL, "br"),  # "*" weighs codings not listed; zstd refused by name
        ("*;q=0", ALL, None),  # nothing acceptable: the body as it is (no 406)
        ("identity;q=0, *;q=0", ALL, None),
        ("deflate, compress", ALL, None),  # only codings duck does not produce
        ("gzip;q=0.5", ALL, "gzip"),  # an unlisted identity does not outrank a listed coding
        ("gzip;q=0.5, identity;q=1", ALL, None),  # a client preferring identity gets it
        ("gzip;q=0.5, *;q=0.8", ("gzip",), None),  # "*" gives identity 0.8 > gzip's 0.5
        ("gzip, identity;q=1", ALL, "gzip"),  # a tie with identity goes to the coding
        ("x-gzip", ALL, "gzip"),
    ],
)
def test_negotiate(header: str | None, offered: tuple[str, ...], expected: str | None):
    assert negotiate(header, offered) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("text/javascript", True),
        ("image/svg+xml", True),  # +xml is text (RFC 6839), although image/* is skipped
        ("application/ld+json", True),
        ("image/png", False),
        ("video/mp4", False),
        ("application/zip", False),
        ("APPLICATION/GZIP", False),
        ("font/woff2", False),
        (None, False),
        ("", False),
    ],
)
def test_compressible_types(content_type: str | None, expected: bool):
    skipped = settings.COMPRESSION_SKIP_TYPES
    assert is_compressible_type(content_type, skipped) is expected


# -- the codings ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("coding", ALL)
def test_one_shot_and_incremental_encoders_round_trip(coding: str):
    body = project.PAGE.encode()
    assert decode(compress(body, coding, 5), coding) == body
    encoder, decoder = new_encoder(coding, 5), PartialDecoder(coding)
    received = b""
    for piece in (body[:1000], body[1000:5000], body[5000:]):
        out = encoder.compress(piece) + encoder.flush()
        received += decoder(out)
        assert received == body[: len(received)] and len(received) == body.index(piece) + len(piece)
    assert decoder(encoder.finish()) == b""
    assert decode(compress(b"", coding, 5), coding) == b""


def test_gzip_output_is_reproducible():
    assert compress(b"x" * 1000, "gzip", 9) == compress(b"x" * 1000, "gzip", 9)  # no timestamp in the header


def test_every_coding_is_available_with_the_extras_installed():
    assert available_codings() == ALL


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"COMPRESSION_ENCODINGS": ["gzip", "deflate"]}, "'deflate'; duck knows"),
        ({"COMPRESSION_ENCODINGS": "gzip"}, "expected list of str"),  # the settings type check
        ({"COMPRESSION_LEVELS": {"gzip": 10}}, "COMPRESSION_LEVELS['gzip'] must be 1 to 9"),
        ({"COMPRESSION_LEVELS": {"zstd": 22}}, "must be 1 to 19"),
        ({"COMPRESSION_LEVELS": {"lz4": 1}}, "'lz4'"),
        ({"COMPRESSION_MIN_SIZE": -1}, "COMPRESSION_MIN_SIZE"),
    ],
)
def test_bad_settings_are_improperly_configured(overrides: dict[str, Any], message: str):
    with pytest.raises(ImproperlyConfigured) as error, settings.override(**overrides):
        compression_settings()
    assert message in str(error.value)


def test_a_coding_whose_package_is_missing_is_refused_by_name(monkeypatch: pytest.MonkeyPatch):
    import duck.http.compression as module

    monkeypatch.setattr(module, "_installed", lambda coding: coding == "gzip")
    assert module.available_codings() == ("gzip",)
    with settings.override(COMPRESSION_ENCODINGS=["br"]), pytest.raises(ImproperlyConfigured, match="duck"):
        module.compression_settings()


# -- the middleware ---------------------------------------------------------------------------------------
@pytest.fixture
def client():
    with settings.override(
        ROOT_URLCONF="tests.middleware.compression_project.urls",
        MIDDLEWARE=["duck.middleware.compression.CompressionMiddleware"],
        ALLOWED_HOSTS=["testserver"],
    ):
        yield Client()


def get(client: Client, path: str, accept: str | None = BROWSER, **headers: str) -> Any:
    if accept is not None:
        headers["Accept-Encoding"] = accept
    return client.get(path, headers=headers)


@pytest.mark.parametrize(("accept", "coding"), [(BROWSER, "zstd"), ("br, gzip", "br"), ("gzip", "gzip")])
def test_page_is_compressed_with_the_negotiated_coding(client: Client, accept: str, coding: str):
    response = get(client, "/page", accept)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == coding
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(response.content) < len(project.PAGE) // 10
    assert decode(response.content, coding) == project.PAGE.encode()
    assert response.headers["etag"] == 'W/"page-v1"'  # the bytes differ from the identity body's
    assert "accept-ranges" not in response.headers  # ranges would be of bytes that are not stored


@pytest.mark.parametrize("accept", [None, "", "identity", "gzip;q=0, br;q=0, zstd;q=0", "*;q=0", "deflate"])
def test_identity_when_the_client_accepts_no_coding_still_varies(client: Client, accept: str | None):
    response = get(client, "/page", accept)
    assert "content-encoding" not in response.headers
    assert response.content == project.PAGE.encode()
    assert response.headers["vary"] == "Accept-Encoding"  # a cache must not give this to a gzip client
    assert response.headers["etag"] == '"page-v1"'


def test_vary_is_extended_not_replaced(client: Client):
    response = get(client, "/vary-cookie")
    assert response.headers.getlist("vary") == ["Cookie, Accept-Encoding"]
    assert response.headers["content-encoding"] == "zstd"


@pytest.mark.parametrize(
    "path",
    ["/small", "/png", "/encoded", "/partial", "/no-transform", "/opted-out", "/stream", "/events"],
)
def test_skipped_responses_are_untouched(client: Client, path: str):
    reference = get(client, path, accept=None)
    response = get(client, path)
    assert response.headers.get("content-encoding") == reference.headers.get("content-encoding")
    assert response.content == reference.content
    assert "vary" not in response.headers  # nothing varies: every client gets these bytes


def test_svg_and_json_are_compressed(client: Client):
    assert get(client, "/svg").headers["content-encoding"] == "zstd"
    assert get(client, "/json", "gzip").headers["content-encoding"] == "gzip"


def test_body_that_does_not_shrink_is_sent_as_it_is():
    import os

    from duck.core.handler import Handler
    from duck.http.response import PlainTextResponse
    from duck.urls import path

    body = os.urandom(4096)  # random bytes: every coding makes them longer

    def view(request: Any) -> Any:
        return PlainTextResponse(body, content_type="text/plain; charset=latin-1")

    with settings.override(
        ROOT_URLCONF=[path("/noise", view)], MIDDLEWARE=["duck.middleware.compression.CompressionMiddleware"]
    ):
        response = Client(handler=Handler()).get("/noise", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers and response.content == body
    assert response.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize("coding", ALL)
def test_streams_opted_in_are_compressed_chunk_by_chunk(client: Client, coding: str):
    expected = "".join(project._lines()).encode()
    response = get(client, "/stream-opted-in", coding)
    assert response.headers["content-encoding"] == coding
    assert "content-length" not in response.headers
    assert decode(response.content, coding) == expected


def test_streaming_setting_compresses_streams_but_not_event_streams(client: Client):
    with settings.override(COMPRESSION_STREAMING=True):
        assert get(client, "/stream").headers["content-encoding"] == "zstd"
        assert "content-encoding" not in get(client, "/events").headers
    response = get(client, "/events?compress=1", "gzip")  # an event stream that asked for it
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(response.content).startswith(b"data: event 0\n\n")


def test_min_size_setting(client: Client):
    with settings.override(COMPRESSION_MIN_SIZE=1):
        response = get(client, "/small", "gzip")
    assert "content-encoding" not in response.headers  # 4 bytes never shrink
    assert response.headers["vary"] == "Accept-Encoding"  # ... but were eligible
    with settings.override(COMPRESSION_MIN_SIZE=len(project.PAGE) + 1):
        assert "vary" not in get(client, "/page").headers


def test_encodings_setting_orders_the_offer(client: Client):
    with settings.override(COMPRESSION_ENCODINGS=["gzip", "br"]):
        assert get(client, "/page").headers["content-encoding"] == "gzip"
        assert "content-encoding" not in get(client, "/page", "zstd").headers
