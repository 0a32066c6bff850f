"""Tests for the multipart/form-data parser and UploadedFile."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from duck.exceptions import BadRequest, RequestEntityTooLarge
from duck.http import multipart
from duck.http.datastructures import MultiDict
from duck.http.multipart import MultipartParser, parse_multipart, parse_options_header
from duck.http.uploadedfile import UploadedFile

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
B = BOUNDARY.encode()
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"

# Binary content full of near-misses: CRLF, "--", a truncated delimiter, a lone CR before CRLF.
PNG = b"\x89PNG\r\n\x1a\n" + b"\r\n--" + B[:-1] + b"X\r\n----WebKit\r\r\n--\r" + bytes(range(256)) * 3
TEXT_FILE = "naïve € text\r\n".encode()

DOC_DISPOSITION = b'Content-Disposition: form-data; name="doc"; filename="na?ve.txt"; ' + (
    b"filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt"
)
BROWSER_BODY = (
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="title"\r\n'
    b"\r\n"
    b"Hello, world\r\n"
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="tag"\r\n'
    b"\r\n"
    b"red\r\n"
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="tag"\r\n'
    b"\r\n"
    b"gr\xc3\xbcn\r\n"
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="comment"\r\n'
    b"\r\n"
    b"line one\r\nline two\r\n\r\n"
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="avatar"; filename="photo.png"\r\n'
    b"Content-Type: image/png\r\n"
    b"\r\n" + PNG + b"\r\n"
    b"--" + B + b"\r\n" + DOC_DISPOSITION + b"\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n" + TEXT_FILE + b"\r\n"
    b"--" + B + b"\r\n"
    b'Content-Disposition: form-data; name="attachment"; filename=""\r\n'
    b"Content-Type: application/octet-stream\r\n"
    b"\r\n"
    b"\r\n"
    b"--" + B + b"--\r\n"
)


def make_body(
    *parts: tuple[str, bytes], boundary: bytes = B, preamble: bytes = b"", epilogue: bytes = b"\r\n"
) -> bytes:
    """Assemble a body from (header lines, content) pairs."""
    out = [preamble]
    for headers, content in parts:
        out.append(b"--" + boundary + b"\r\n" + headers.encode("utf-8") + b"\r\n\r\n" + content + b"\r\n")
    out.append(b"--" + boundary + b"--" + epilogue)
    return b"".join(out)


def field(name: str, value: bytes, extra: str = "") -> tuple[str, bytes]:
    return f'Content-Disposition: form-data; name="{name}"{extra}', value


def file_part(name: str, filename: str, content: bytes) -> tuple[str, bytes]:
    headers = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: text/plain'
    return headers, content


def parse_chunks(chunks: Iterable[bytes], boundary: bytes = B, **limits: Any) -> tuple[MultiDict, MultiDict]:
    parser = MultipartParser(boundary, **limits)
    for chunk in chunks:
        parser.feed(chunk)
    return parser.finish()


def close_all(files: MultiDict) -> None:
    for _, upload in files.multi_items():
        upload.close()


def snapshot(result: tuple[MultiDict, MultiDict]) -> tuple[list, list]:
    """A comparable copy of a parse result; closes the files."""
    fields, files = result
    try:
        uploads = [
            (key, f.filename, f.content_type, f.charset, f.size, f.headers, f.read()) for key, f in files.multi_items()
        ]
        return list(fields.multi_items()), uploads
    finally:
        close_all(files)


def random_chunks(data: bytes, seed: int, max_size: int = 40) -> Iterator[bytes]:
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        size = rng.randint(1, max_size)
        yield data[pos : pos + size]
        pos += size


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> list[UploadedFile]:
    """Every UploadedFile the parser creates, to check that errors close them."""
    made: list[UploadedFile] = []

    class SpyUploadedFile(UploadedFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(multipart, "UploadedFile", SpyUploadedFile)
    yield made
    for upload in made:
        upload.close()


# -- a realistic browser body ------------------------------------------------------------------------


def test_browser_body_fields_and_files() -> None:
    fields, files = parse_multipart(BROWSER_BODY, CONTENT_TYPE)
    try:
        assert list(fields.multi_items()) == [
            ("title", "Hello, world"),
            ("tag", "red"),
            ("tag", "grün"),
            ("comment", "line one\r\nline two\r\n"),
        ]
        assert fields["tag"] == "grün"
        assert fields.getlist("tag") == ["red", "grün"]
        assert list(files) == ["avatar", "doc"]  # the empty file input is left out

        avatar = files["avatar"]
        assert (avatar.name, avatar.filename, avatar.content_type, avatar.charset) == (
            "avatar",
            "photo.png",
            "image/png",
            None,
        )
        assert avatar.size == len(PNG)
        assert avatar.read() == PNG
        assert avatar.in_memory
        assert avatar.headers["content-type"] == "image/png"
        assert "content-disposition" in avatar.headers

        doc = files["doc"]
        assert doc.filename == "naïve €.txt"  # filename* wins over filename
        assert (doc.content_type, doc.charset) == ("text/plain", "utf-8")
        assert b"".join(doc.chunks(3)) == TEXT_FILE
        assert repr(doc) == "<UploadedFile name='doc' filename='naïve €.txt' content_type='text/plain' size=17>"
    finally:
        close_all(files)


EXPECTED = snapshot(parse_multipart(BROWSER_BODY, CONTENT_TYPE))


def test_whole_body_fed_at_once() -> None:
    assert snapshot(parse_chunks([BROWSER_BODY])) == EXPECTED


def test_byte_by_byte() -> None:
    chunks = [BROWSER_BODY[i : i + 1] for i in range(len(BROWSER_BODY))]
    assert snapshot(parse_chunks(chunks)) == EXPECTED


@pytest.mark.parametrize("seed", range(8))
def test_random_chunk_sizes(seed: int) -> None:
    assert snapshot(parse_chunks(random_chunks(BROWSER_BODY, seed))) == EXPECTED


def test_every_two_way_split() -> None:
    for cut in range(len(BROWSER_BODY) + 1):
        assert snapshot(parse_chunks([BROWSER_BODY[:cut], BROWSER_BODY[cut:]])) == EXPECTED, cut


def test_boundary_split_across_feeds() -> None:
    body = make_body(field("a", b"x" * 100), field("b", b"y"))
    delimiter = body.index(b"\r\n--" + B, 10)
    parts = [body[: delimiter + 5], body[delimiter + 5 : delimiter + 20], body[delimiter + 20 :]]
    fields, files = parse_chunks(parts)
    assert list(fields.multi_items()) == [("a", "x" * 100), ("b", "y")]
    assert len(files) == 0


def test_empty_feeds_are_harmless() -> None:
    body = make_body(field("a", b"1"))
    fields, _ = parse_chunks([b"", body[:7], b"", body[7:], b""])
    assert fields["a"] == "1"


# -- RFC 2046 framing ------------------------------------------------------------------------------


def test_preamble_is_ignored() -> None:
    body = make_body(field("a", b"1"), preamble=b"This is a multi-part message.\r\n--not-it\r\n")
    fields, _ = parse_multipart(body, CONTENT_TYPE)
    assert fields.dict() == {"a": "1"}


def test_epilogue_is_ignored() -> None:
    body = make_body(field("a", b"1"), epilogue=b"\r\ntrailing junk --" + B + b"\r\nmore")
    assert snapshot(parse_chunks([body])) == ([("a", "1")], [])
    assert snapshot(parse_chunks(random_chunks(body, 1, 5))) == ([("a", "1")], [])


def test_close_delimiter_without_crlf() -> None:
    body = make_body(field("a", b"1"), epilogue=b"")
    fields, _ = parse_multipart(body, CONTENT_TYPE)
    assert fields.dict() == {"a": "1"}


def test_leading_crlf_and_transport_padding() -> None:
    body = b"\r\n--" + B + b" \t\r\n" + b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n--' + B + b"--"
    fields, _ = parse_multipart(body, CONTENT_TYPE)
    assert fields.dict() == {"a": "1"}


def test_empty_field_and_no_parts() -> None:
    fields, files = parse_multipart(make_body(field("empty", b"")), CONTENT_TYPE)
    assert fields.dict() == {"empty": ""}
    fields, files = parse_multipart(b"--" + B + b"--\r\n", CONTENT_TYPE)
    assert (len(fields), len(files)) == (0, 0)


def test_field_charset_from_part_content_type() -> None:
    body = make_body(field("a", "é".encode("latin-1"), '\r\nContent-Type: text/plain; charset="ISO-8859-1"'))
    fields, _ = parse_multipart(body, CONTENT_TYPE)
    assert fields["a"] == "é"


def test_parser_charset_default() -> None:
    body = make_body(field("a", "é".encode("latin-1")))
    fields, _ = parse_multipart(body, CONTENT_TYPE, charset="latin-1")
    assert fields["a"] == "é"


def test_file_with_empty_filename_but_content_is_kept() -> None:
    _, files = parse_multipart(make_body(file_part("f", "", b"data")), CONTENT_TYPE)
    try:
        assert files["f"].filename == ""
        assert files["f"].read() == b"data"
    finally:
        close_all(files)


def test_file_without_content_type_defaults_to_text_plain() -> None:
    body = make_body(('Content-Disposition: form-data; name="f"; filename="a.bin"', b"x"))
    _, files = parse_multipart(body, CONTENT_TYPE)
    with files["f"] as upload:
        assert upload.content_type == "text/plain"


def test_file_charset_is_metadata_only() -> None:
    headers = 'Content-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain; charset=x-odd'
    _, files = parse_multipart(make_body((headers, b"\xff")), CONTENT_TYPE)
    with files["f"] as upload:
        assert (upload.charset, upload.read()) == ("x-odd", b"\xff")


def test_parser_rejects_unknown_default_charset() -> None:
    with pytest.raises(LookupError):
        MultipartParser(B, charset="base64")


# -- spooling ----------------------------------------------------------------------------------------


def test_large_file_spools_to_disk(tmp_path: Any) -> None:
    content = random.Random(7).randbytes(200_000)
    body = make_body(field("a", b"1"), file_part("big", "big.bin", content), file_part("small", "s.txt", b"tiny"))
    _, files = parse_chunks(random_chunks(body, 3, 8192), spool_limit=64 * 1024, temp_dir=str(tmp_path))
    try:
        big, small = files["big"], files["small"]
        assert not big.in_memory
        assert small.in_memory
        assert big.size == len(content)
        assert big.read() == content
        assert b"".join(big.chunks(1000)) == content
        big.seek(10)
        assert big.read(5) == content[10:15]
        assert big.tell() == 15
    finally:
        close_all(files)
    assert big.closed and small.closed


def test_the_memory_budget_is_for_all_files_together() -> None:
    """Ten 10 KB files under a 25 KB limit: two stay in memory, the rest go to disk (not 100 KB in memory)."""
    parts = [file_part(f"f{i}", f"{i}.txt", bytes([65 + i]) * 10_000) for i in range(10)]
    _, files = parse_chunks([make_body(*parts)], spool_limit=25_000)
    try:
        uploads = [files[f"f{i}"] for i in range(10)]
        assert [upload.in_memory for upload in uploads] == [True, True] + [False] * 8
        assert sum(upload.size for upload in uploads if upload.in_memory) <= 25_000
        assert all(upload.read() == bytes([65 + i]) * 10_000 for i, upload in enumerate(uploads))
    finally:
        close_all(files)


def test_spool_limit_zero_goes_straight_to_disk() -> None:
    with UploadedFile("f", "a.txt", spool_limit=0) as upload:
        upload.write(b"abc")
        assert not upload.in_memory
        upload.seek(0)
        assert upload.read() == b"abc"


# -- filenames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\evil.exe", "evil.exe"),
        ("/abs/path/a b.txt", "a b.txt"),
        ("..", ""),
        ("plain.txt", "plain.txt"),
    ],
)
def test_filename_reduced_to_basename(sent: str, kept: str) -> None:
    with UploadedFile("f", sent) as upload:
        assert upload.filename == kept


@pytest.mark.parametrize(("sent", "kept"), [("../../etc/passwd", "passwd"), ("C:\\x\\evil.exe", "evil.exe")])
def test_parsed_filename_reduced_to_basename(sent: str, kept: str) -> None:
    _, files = parse_multipart(make_body(file_part("f", sent, b"x")), CONTENT_TYPE)
    with files["f"] as upload:
        assert upload.filename == kept


# -- errors ------------------------------------------------------------------------------------------

DISPOSITION = 'Content-Disposition: form-data; name="a"'
TYPE_CHARSET = "\r\nContent-Type: text/plain; charset="

MALFORMED = {
    "empty body": (b"", "no initial boundary"),
    "no initial boundary": (b"just some text\r\n", "no initial boundary"),
    "wrong boundary": (make_body(field("a", b"1"), boundary=b"other"), "no initial boundary"),
    "no closing boundary": (make_body(field("a", b"1"))[:-10], "no closing boundary"),
    "truncated in headers": (b"--" + B + b"\r\nContent-Disp", "no closing boundary"),
    "no content-disposition": (make_body(("Content-Type: text/plain", b"1")), "Content-Disposition"),
    "no headers at all": (b"--" + B + b"\r\n\r\nvalue\r\n--" + B + b"--", "Content-Disposition"),
    "not form-data": (make_body(('Content-Disposition: attachment; name="a"', b"1")), "Content-Disposition"),
    "no name": (make_body(("Content-Disposition: form-data", b"1")), "without a name"),
    "header without colon": (make_body((DISPOSITION + "\r\nX-Broken", b"1")), "malformed part header"),
    "header block too large": (make_body((DISPOSITION + "\r\nX-Pad: " + "a" * 17000, b"1")), "too large"),
    "unknown charset": (make_body(field("a", b"1", "\r\nContent-Type: text/plain; charset=nope")), "encoding"),
    "non-text codec": (make_body(field("a", b"MQ==", "\r\nContent-Type: text/plain; charset=base64")), "encoding"),
    "unknown charset, empty value": (
        make_body(field("a", b"", "\r\nContent-Type: text/plain; charset=nope")),
        "encoding",
    ),
    "undecodable value": (make_body(field("a", b"\xff\xfe")), "encoding"),
    "junk after boundary": (
        b"--" + B + b"junk\r\n" + DISPOSITION.encode() + b"\r\n\r\n1\r\n--" + B + b"--",
        "boundary",
    ),
    "endless padding": (b"--" + B + b" " * 2000 + b"\r\n", "boundary"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("chunk_size", [None, 1, 7])
def test_malformed_body(case: str, chunk_size: int | None) -> None:
    body, message = MALFORMED[case]
    chunks = [body] if chunk_size is None else [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    with pytest.raises(BadRequest, match=message) as info:
        parse_chunks(chunks)
    assert info.value.status_code == 400


@pytest.mark.parametrize("chunk_size", [None, 1, 3])
@pytest.mark.parametrize("extra", [0, 1])
def test_header_block_limit_is_exact(chunk_size: int | None, extra: int) -> None:
    """A block of exactly MAX_HEADER_BLOCK bytes passes, one more fails, however the body is cut."""
    prefix = DISPOSITION + "\r\nX-Pad: "
    block = prefix + "a" * (multipart.MAX_HEADER_BLOCK - len(prefix) + extra)
    body = make_body((block, b"1"))
    chunks = [body] if chunk_size is None else [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    if extra:
        with pytest.raises(BadRequest, match="too large"):
            parse_chunks(chunks)
    else:
        assert parse_chunks(chunks)[0]["a"] == "1"


def test_too_many_fields() -> None:
    body = make_body(field("a", b"1"), field("b", b"2"), file_part("c", "c.txt", b"3"))
    _, files = parse_multipart(body, CONTENT_TYPE, max_fields=3)
    close_all(files)
    with pytest.raises(BadRequest, match="too many fields"):
        parse_multipart(body, CONTENT_TYPE, max_fields=2)


def test_field_memory_limit() -> None:
    body = make_body(field("a", b"x" * 60), field("b", b"y" * 40))
    fields, _ = parse_multipart(body, CONTENT_TYPE, max_memory_size=100)
    assert fields["b"] == "y" * 40
    with pytest.raises(RequestEntityTooLarge) as info:
        parse_multipart(body, CONTENT_TYPE, max_memory_size=99)
    assert info.value.status_code == 413


def test_file_content_does_not_count_towards_memory_limit() -> None:
    body = make_body(field("a", b"x" * 10), file_part("f", "f.bin", b"z" * 1000))
    _, files = parse_multipart(body, CONTENT_TYPE, max_memory_size=10)
    close_all(files)


@pytest.mark.parametrize("boundary", [b"", b"a" * 71, b"trailing ", b"new\r\nline", "bé".encode()])
def test_invalid_boundary(boundary: bytes) -> None:
    with pytest.raises(BadRequest, match="boundary"):
        MultipartParser(boundary)


def test_longest_valid_boundary() -> None:
    boundary = b"b" * 70
    fields, _ = parse_chunks([make_body(field("a", b"1"), boundary=boundary)], boundary=boundary)
    assert fields["a"] == "1"


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/x-www-form-urlencoded", "expected multipart/form-data"),
        ("multipart/form-data", "missing multipart boundary"),
        ('multipart/form-data; boundary=""', "missing multipart boundary"),
        ("multipart/form-data; boundary=" + "a" * 71, "boundary"),
        ("multipart/form-data; boundary=bé", "invalid multipart boundary"),
    ],
)
def test_parse_multipart_bad_content_type(content_type: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_multipart(make_body(field("a", b"1")), content_type)


def test_parse_multipart_quoted_boundary() -> None:
    fields, _ = parse_multipart(
        make_body(field("a", b"1")), f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY}"'
    )
    assert fields["a"] == "1"


def test_error_closes_created_files(created: list[UploadedFile]) -> None:
    body = make_body(file_part("f", "a.txt", b"data"), ("X-Broken", b"1"))
    with pytest.raises(BadRequest):
        parse_multipart(body, CONTENT_TYPE)
    assert len(created) == 1
    assert created[0].closed


def test_truncated_body_closes_open_file(created: list[UploadedFile]) -> None:
    body = make_body(file_part("f", "a.txt", b"data" * 100))
    parser = MultipartParser(B)
    parser.feed(body[:200])
    with pytest.raises(BadRequest, match="no closing boundary"):
        parser.finish()
    assert [upload.closed for upload in created] == [True]


def test_empty_file_input_is_closed(created: list[UploadedFile]) -> None:
    _, files = parse_multipart(BROWSER_BODY, CONTENT_TYPE)
    close_all(files)
    assert [upload.filename for upload in created] == ["photo.png", "naïve €.txt", ""]
    assert all(upload.closed for upload in created)


def test_close_releases_unfinished_parse(created: list[UploadedFile]) -> None:
    body = make_body(file_part("f", "a.txt", b"data"), file_part("g", "b.txt", b"more"))
    with MultipartParser(B) as parser:
        parser.feed(body[: body.index(b"more") + 4])  # inside the second file
    assert len(created) == 2
    assert all(upload.closed for upload in created)


def test_finished_files_survive_parser_close(created: list[UploadedFile]) -> None:
    with MultipartParser(B) as parser:
        parser.feed(make_body(file_part("f", "a.txt", b"data")))
        _, files = parser.finish()
    with files["f"] as upload:
        assert upload.read() == b"data"


def test_parser_cannot_be_reused() -> None:
    parser = MultipartParser(B)
    parser.feed(make_body(field("a", b"1")))
    parser.finish()
    with pytest.raises(RuntimeError):
        parser.feed(b"more")
    with pytest.raises(RuntimeError):
        parser.finish()


def test_chunks_rejects_non_positive_size() -> None:
    with UploadedFile("f", "a.txt") as upload, pytest.raises(ValueError):
        next(upload.chunks(0))


# -- parse_options_header ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("multipart/form-data; boundary=abc", ("multipart/form-data", {"boundary": "abc"})),
        ('Multipart/Form-Data; BOUNDARY="a;b c"', ("multipart/form-data", {"boundary": "a;b c"})),
        (
            'form-data; name="f"; filename="a b.txt"',
            ("form-data", {"name": "f", "filename": "a b.txt"}),
        ),
        ('form-data; name="say \\"hi\\""', ("form-data", {"name": 'say "hi"'})),
        ('form-data; filename="C:\\x\\evil.exe"', ("form-data", {"filename": "C:\\x\\evil.exe"})),
        ('form-data; filename="a\\\\b"', ("form-data", {"filename": "a\\b"})),
        (
            "form-data; filename*=UTF-8''%E2%82%AC%20rates.txt; filename=\"EUR rates.txt\"",
            ("form-data", {"filename": "€ rates.txt"}),
        ),
        ("attachment; filename*=iso-8859-1'en'%E9t%E9.txt", ("attachment", {"filename": "été.txt"})),
        ("form-data; filename=\"ok.txt\"; filename*=UTF-8''%FF", ("form-data", {"filename": "ok.txt"})),
        ("form-data; filename=\"ok.txt\"; filename*=nope''x", ("form-data", {"filename": "ok.txt"})),
        ("form-data; filename*=no-quotes", ("form-data", {})),
        ("text/plain", ("text/plain", {})),
        ("", ("", {})),
        ("  text/HTML ;charset = UTF-8 ;; ", ("text/html", {"charset": "UTF-8"})),
        ('form-data; name=""; flag', ("form-data", {"name": "", "flag": ""})),
        ('form-data; name="unterminated', ("form-data", {"name": "unterminated"})),
        ("form-data; =junk; name=a", ("form-data", {"name": "a"})),
    ],
)
def test_parse_options_header(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_options_header(value) == expected
