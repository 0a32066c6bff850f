"""Pure helpers for HTTP/1.1 messages on the wire: request checks h11 leaves to us, targets, error responses.

No I/O here: every function takes bytes or an h11 event and returns values, so each rule is tested alone.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import h11

from duck.http.status import reason_phrase
from duck.server.config import ServerConfig

# Control characters a field value must not contain (RFC 9110 §5.5): h11 lets most of them through
# (it refuses only NUL, CR, LF and other whitespace) because some clients send them; we do not.
_CTL_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_VERSIONS = frozenset({b"1.0", b"1.1"})
# "SP SP HTTP/1.1 CRLF" of the request line plus the CRLF that ends the head.
_REQUEST_LINE_OVERHEAD = 2 + 8 + 2 + 2


class RequestRefused(Exception):
    """A request the server answers itself, with ``status`` and a short message, then closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_request(event: h11.Request, config: ServerConfig) -> None:
    """Enforce the limits and the framing rules h11 is lenient about.

    Raises:
        RequestRefused: 505 for a version other than 1.0/1.1 (RFC 9112 §2.3), 414 for a long target
            (RFC 9112 §3), 431 for too many or too large header fields, 400 for control characters in a
            field value (RFC 9110 §5.5) or for Content-Length together with Transfer-Encoding
            (RFC 9112 §6.3: request smuggling; the connection must be closed), 413 for a declared
            Content-Length above the limit (answered before any ``100 Continue``).
    """
    if event.http_version not in _VERSIONS:
        raise RequestRefused(505, f"HTTP/{event.http_version.decode('ascii', 'replace')} is not supported.")
    target = event.target
    if len(target) > config.max_url_length:
        raise RequestRefused(414, f"The request target is longer than {config.max_url_length} bytes.")
    headers = event.headers
    if len(headers) > config.max_headers:
        raise RequestRefused(431, f"More than {config.max_headers} header fields.")
    # h11 bounds only an *incomplete* head; a complete over-long head arriving in one read is counted here.
    size = len(event.method) + len(target) + _REQUEST_LINE_OVERHEAD
    content_length: bytes | None = None
    chunked = False
    for name, value in headers:
        size += len(name) + len(value) + 4
        if _CTL_RE.search(value) is not None:
            raise RequestRefused(400, f"Control character in the value of the {name.decode('ascii')} field.")
        if name == b"content-length":
            content_length = value
        elif name == b"transfer-encoding":
            chunked = True
    if size > config.max_head_size:
        raise RequestRefused(431, f"The request head is larger than {config.max_head_size} bytes.")
    if content_length is not None:
        if chunked:
            raise RequestRefused(400, "Content-Length and Transfer-Encoding must not be sent together.")
        if int(content_length) > config.max_body_size:
            raise RequestRefused(413, f"The request body is larger than {config.max_body_size} bytes.")


def split_target(target: bytes) -> tuple[str, str]:
    """The percent-decoded path and the raw query string of a request target (RFC 9112 §3.2).

    Origin form (``/a%20b?x=1``) is the common case; absolute form (``http://host/p?q``, sent to
    proxies) is reduced to its path; asterisk form (``*``, for ``OPTIONS``) is kept as ``*``.
    """
    text = target.decode("ascii")  # h11 guarantees visible ASCII in the target
    if text[0] != "/" and text != "*":
        parts = urlsplit(text)
        text = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = text.partition("?")
    if "%" in path:
        path = unquote(path)
    return path, query


def error_response(status: int, message: str, extra_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete, short ``text/plain`` response that also announces ``Connection: close``.

    Built by hand rather than with h11 because it is also sent before any request was parsed (a
    malformed head, a connection over the limit), when h11's state machine would refuse to.
    """
    reason = reason_phrase(status)
    body = f"{status} {reason}\n{message}\n".encode()
    lines = [f"HTTP/1.1 {status} {reason}".encode("latin-1")]
    lines.extend(name + b": " + value for name, value in extra_headers)
    lines.append(b"content-type: text/plain; charset=utf-8")
    lines.append(b"content-length: %d" % len(body))
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def protocol_error_status(exc: h11.RemoteProtocolError) -> int:
    """The status for an h11 parse error: its hint (431 for an over-long head, 501 for a TE) or 400."""
    status = getattr(exc, "error_status_hint", 400)
    return status if 400 <= status <= 599 else 400
