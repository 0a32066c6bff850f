"""Request bodies as browsers send them: urlencoded forms, ``multipart/form-data`` and JSON.

Used by the test clients, and usable on their own to build a body for a real server::

    body, content_type = encode_multipart({"title": "Duck"}, {"file": ("duck.txt", b"quack")})
"""

from __future__ import annotations

import json
import mimetypes
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import IO, Any
from urllib.parse import urlencode

__all__ = ["FileSpec", "encode_json", "encode_multipart", "encode_urlencoded"]

# What a file field accepts: raw content (named after the field), an open binary file (named after
# its basename), or (filename, content) / (filename, content, content_type).
FileSpec = bytes | str | IO[bytes] | tuple[str, Any] | tuple[str, Any, str]
FormData = Mapping[str, Any] | Iterable[tuple[str, Any]]

# WHATWG HTML "multipart/form-data encoding algorithm": these are escaped in field names and filenames.
_NAME_ESCAPES = str.maketrans({"\n": "%0A", "\r": "%0D", '"': "%22"})


def _pairs(data: FormData | None) -> list[tuple[str, Any]]:
    """Flatten a mapping (list values repeat the field) or a sequence of pairs into pairs."""
    if data is None:
        return []
    items = data.items() if isinstance(data, Mapping) else data
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), item) for item in values)
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_urlencoded(data: FormData) -> bytes:
    """``application/x-www-form-urlencoded`` body (UTF-8, ``+`` for spaces, as browsers send)."""
    return urlencode([(key, _text(value)) for key, value in _pairs(data)]).encode("ascii")


def encode_json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_multipart(
    data: FormData | None = None, files: Mapping[str, FileSpec | list[FileSpec]] | None = None
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (RFC 7578) and its Content-Type with the boundary.

    Args:
        data: text fields; a list value repeats the field.
        files: file fields; each value is a :data:`FileSpec` or a list of them.

    Returns:
        ``(body, content_type)``.
    """
    parts: list[tuple[str, str | None, str | None, bytes]] = [
        (name, None, None, _text(value).encode("utf-8")) for name, value in _pairs(data)
    ]
    for name, spec in (files or {}).items():
        for one in spec if isinstance(spec, list) else [spec]:
            parts.append((name, *_file_part(name, one)))
    while True:  # a boundary must not occur in the content (RFC 2046 §5.1.1); 128 random bits practically never do
        boundary = f"duck-{secrets.token_hex(16)}"
        body = _join_parts(parts, boundary.encode("ascii"))
        if body.count(boundary.encode("ascii")) == len(parts) + 1:
            return body, f"multipart/form-data; boundary={boundary}"


def _file_part(field: str, spec: FileSpec) -> tuple[str, str, bytes]:
    """(filename, content_type, content) of one file field."""
    content_type: str | None = None
    if isinstance(spec, tuple):
        filename, content = spec[0], spec[1]
        if len(spec) > 2:
            content_type = spec[2]
    elif isinstance(spec, (bytes, str)):
        filename, content = field, spec
    else:
        filename, content = os.path.basename(getattr(spec, "name", "") or field), spec
    if hasattr(content, "read"):
        content = content.read()
    raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, content_type, raw


def _join_parts(parts: list[tuple[str, str | None, str | None, bytes]], boundary: bytes) -> bytes:
    chunks: list[bytes] = []
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name.translate(_NAME_ESCAPES)}"'
        head = [f"Content-Disposition: {disposition}"]
        if filename is not None:
            head[0] += f'; filename="{filename.translate(_NAME_ESCAPES)}"'
            head.append(f"Content-Type: {content_type}")
        chunks += [b"--" + boundary + b"\r\n", "\r\n".join(head).encode("utf-8"), b"\r\n\r\n", content, b"\r\n"]
    chunks.append(b"--" + boundary + b"--\r\n")
    return b"".join(chunks)
