"""HTTP validators and byte ranges for static files (RFC 9110 sections 8.8, 13 and 14).

Pure functions over header values: no file system, no settings, easy to test by value.
"""

from __future__ import annotations

import mimetypes
import os
from datetime import timezone
from email.utils import formatdate, parsedate_to_datetime

from duck.exceptions import RangeNotSatisfiable

__all__ = [
    "content_type_for",
    "etag_for",
    "http_date",
    "if_range_allows",
    "is_not_modified",
    "parse_range",
]

# Types the web depends on, fixed here because the platform's tables differ (some Windows
# registries map .js to text/plain, which browsers refuse to run with nosniff).
_WEB_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
# Compressed files are served as the archive they are, not with Content-Encoding, which would
# make the browser unpack them transparently.
_ENCODED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}
# Textual types whose charset the browser should not have to guess.
_CHARSET_TYPES = ("text/", "application/javascript", "application/xml", "image/svg+xml")


def content_type_for(path: str | os.PathLike[str]) -> str:
    """The Content-Type of a file, from its extension, with ``charset=utf-8`` for text."""
    name = os.fspath(path)
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:
        return _ENCODED_TYPES.get(encoding, "application/octet-stream")
    content_type = _WEB_TYPES.get(os.path.splitext(name)[1].lower()) or guessed or "application/octet-stream"
    if content_type.startswith(_CHARSET_TYPES):
        content_type += "; charset=utf-8"
    return content_type


def etag_for(stat: os.stat_result) -> str:
    """A strong entity tag from size and modification time (nanoseconds): it changes with the file."""
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def http_date(timestamp: float) -> str:
    """An IMF-fixdate such as ``Sun, 06 Nov 1994 08:49:37 GMT`` (RFC 9110 section 5.6.7)."""
    return formatdate(timestamp, usegmt=True)


def _parse_http_date(value: str) -> float | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" and obsolete formats without a zone mean GMT here
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _etags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weak_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def is_not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: float) -> bool:
    """Whether a GET/HEAD may be answered with 304 (RFC 9110 section 13.2.2).

    If-None-Match, when present, decides alone (weak comparison, ``*`` matches any file);
    otherwise If-Modified-Since does: not modified when the file is no newer than the date
    (compared in whole seconds, the resolution of HTTP dates). An unparsable date is ignored.
    """
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or any(_weak_equal(tag, etag) for tag in tags)
    if if_modified_since is None:
        return False
    since = _parse_http_date(if_modified_since)
    return since is not None and int(mtime) <= since


def if_range_allows(if_range: str | None, etag: str, mtime: float) -> bool:
    """Whether a Range request may be honoured given its If-Range (RFC 9110 section 13.1.5).

    An entity tag must match strongly; a date must equal the file's Last-Modified exactly.
    A mismatch means "the file changed: send all of it".
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return not value.startswith("W/") and value == etag
    since = _parse_http_date(value)
    return since is not None and since == int(mtime)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range ``(first, last)`` (inclusive) that a Range header asks for.

    Returns None when the header should be ignored and the whole file sent: another unit,
    bad syntax, or several ranges (allowed by RFC 9110 section 14.2, and simpler than
    multipart/byteranges). ``last`` is clamped to the end of the file.

    Raises:
        RangeNotSatisfiable: the range starts past the end, or asks for an empty suffix.
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash or not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if first_text == "":
        return _suffix_range(last_text, size)
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # invalid range-spec: ignore the header (section 14.1.1)
    if first >= size:
        raise RangeNotSatisfiable(size)
    return first, size - 1 if last is None else min(last, size - 1)


def _suffix_range(length_text: str, size: int) -> tuple[int, int] | None:
    if not length_text:
        return None  # "bytes=-" is not a range
    length = int(length_text)
    if length == 0 or size == 0:
        raise RangeNotSatisfiable(size)
    return max(size - length, 0), size - 1
