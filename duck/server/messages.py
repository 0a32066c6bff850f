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


def check_request(event: h11.Request, config: ServerConfig) -> bool:
    """Enforce the limits and the framing rules h11 is lenient about; return whether to keep the connection.

    Returns:
        False when the client asked to close (``Connection: close``) or speaks HTTP/1.0, for which
        duck does not keep connections open (RFC 9112 §9.3); True otherwise.

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
    keep_alive = event.http_version == b"1.1"
    for name, value in headers:
        size += len(name) + len(value) + 4
        if _CTL_RE.search(value) is not None:
            raise RequestRefused(400, f"Control character in the value of the {name.decode('ascii')} field.")
        if name == b"content-length":
            content_length = value
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"connection" and _has_token(value, b"close"):
            keep_alive = False
    if size > config.max_head_size:
        raise RequestRefused(431, f"The request head is larger than {config.max_head_size} bytes.")
    if content_length is not None:
        if chunked:
            raise RequestRefused(400, "Content-Length and Transfer-Encoding must not be sent together.")
        if int(content_length) > config.max_body_size:
            raise RequestRefused(413, f"The request body is larger than {config.max_body_size} bytes.")
    return keep_alive


def _has_token(value: bytes, token: bytes) -> bool:
    """Whether a comma-separated field value (RFC 9110 §5.6.1) lists ``token`` (case-insensitive)."""
    return any(item.strip().lower() == token for item in value.split(b","))


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


class ResponseHead:
    """The head of a response, framed (RFC 9112 §6): bytes to send, and how the body and connection go."""

    __slots__ = ("chunked", "data", "keep_alive", "length")

    def __init__(self, data: bytes, chunked: bool, keep_alive: bool, length: int | None) -> None:
        self.data = data
        self.chunked = chunked  # the body goes out in chunks (RFC 9112 §7.1)
        self.keep_alive = keep_alive  # the connection stays open after the body
        self.length = length  # the declared Content-Length, if any


def render_head(
    status: int,
    reason: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    streaming: bool,
    http11: bool,
    keep_alive: bool,
) -> ResponseHead:
    """Frame and serialize a response head; ``headers`` has lower-case names and may be extended.

    Framing follows RFC 9112 §6.3 as a recipient will read it: a Content-Length is kept (also for
    HEAD, RFC 9110 §9.3.2); a body of unknown length is chunked for HTTP/1.1 clients and delimited
    by closing the connection for HTTP/1.0 ones; 204 and 304 carry no body. ``Connection: close`` is
    added whenever the connection will close (RFC 9112 §9.6).

    Raises:
        ValueError: a header that would corrupt the message (CR, LF or NUL in a value, a name that
            is not a token, a transfer coding other than chunked, an invalid Content-Length).
    """
    length: int | None = None
    coding: bytes | None = None
    says_close = False
    for name, value in headers:
        if name not in _VALID_NAMES:
            _check_name(name)
        if b"\r" in value or b"\n" in value or b"\0" in value:
            raise ValueError(f"Invalid character in the value of response header {name!r}.")
        if name == b"content-length":
            if not value.isdigit():
                raise ValueError(f"Invalid Content-Length {value!r}.")
            length = int(value)
        elif name == b"transfer-encoding":
            coding = value.strip().lower()
        elif name == b"connection" and _has_token(value, b"close"):
            says_close = True
    chunked = False
    if status not in (204, 304):
        if coding is not None:
            if coding != b"chunked":
                raise ValueError(f"Unsupported Transfer-Encoding {coding!r}: only chunked is.")
            chunked = True
            if length is not None:  # RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; drop it
                headers = [(name, value) for name, value in headers if name != b"content-length"]
                length = None
        elif streaming and length is None:
            if http11:
                chunked = True
                headers.append((b"transfer-encoding", b"chunked"))
            else:
                keep_alive = False  # RFC 9112 §6.3 ¶8: the body ends when the connection closes
    if says_close:
        keep_alive = False
    elif not keep_alive:
        headers.append((b"connection", b"close"))
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    lines.extend([name + b": " + value for name, value in headers])
    lines.append(b"\r\n")
    return ResponseHead(b"\r\n".join(lines), chunked, keep_alive, length)


# Header names already checked against the token rule (RFC 9110 §5.1), so each is checked once.
_VALID_NAMES: set[bytes] = set()
_TOKEN_RE = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")


def _check_name(name: bytes) -> None:
    if _TOKEN_RE.fullmatch(name) is None:
        raise ValueError(f"Invalid response header name {name!r}.")
    if len(_VALID_NAMES) < 4096:  # bounded: names come from code, but do not let a bug grow it forever
        _VALID_NAMES.add(name)


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (RFC 9112 §7.1)."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


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
