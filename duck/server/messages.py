"""Pure helpers for HTTP/1.1 messages on the wire: request checks h11 leaves to us, targets, error responses.

No I/O here: every function takes bytes or an h11 event and returns values, so each rule is tested alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from duck.exceptions import (
    BadRequest,
    HTTPVersionNotSupported,
    NotImplementedByServer,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    URITooLong,
)
from duck.http.status import reason_phrase
from duck.server.config import ServerConfig

if TYPE_CHECKING:
    from duck.server.parsing import RequestHead

# Control characters a field value must not contain (RFC 9110 §5.5): h11 lets most of them through
# (it refuses only NUL, CR, LF and other whitespace) because some clients send them; we do not.
_CTL_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_VERSIONS = frozenset({b"1.0", b"1.1"})
# A request target is visible ASCII (RFC 9112 §3.2, RFC 3986): no spaces, controls or bytes >= 0x80.
_TARGET_RE = re.compile(rb"[\x21-\x7e]+")
# "SP SP HTTP/1.1 CRLF" of the request line plus the CRLF that ends the head.
_REQUEST_LINE_OVERHEAD = 2 + 8 + 2 + 2


def check_request(head: RequestHead, config: ServerConfig) -> tuple[bool, bool, bool]:
    """Enforce the limits and the framing rules on a parsed request head, whichever parser read it.

    Returns:
        ``(keep_alive, has_body, expects_continue)``. ``keep_alive`` is False when the client asked
        to close (``Connection: close``) or speaks HTTP/1.0, for which duck does not keep connections
        open (RFC 9112 §9.3). ``has_body`` is False when neither Transfer-Encoding nor a non-zero
        Content-Length is present: the body is then empty (RFC 9112 §6.3 ¶7). ``expects_continue``:
        an HTTP/1.1 client waits for ``100 Continue`` before it sends the body (RFC 9110 §10.1.1).

    Raises:
        HTTPVersionNotSupported: a version other than 1.0/1.1 (RFC 9112 §2.3).
        URITooLong: a target longer than the limit (RFC 9112 §3).
        RequestHeaderFieldsTooLarge: too many or too large header fields.
        BadRequest: control characters in a field value (RFC 9110 §5.5), Content-Length together
            with Transfer-Encoding (RFC 9112 §6.3: request smuggling; the connection must be closed),
            no Host, or several (RFC 9112 §3.2), Transfer-Encoding from HTTP/1.0 (RFC 9112 §6.1),
            a malformed Content-Length, or a target with spaces or control characters.
        RequestEntityTooLarge: a declared Content-Length above the limit (answered before any
            ``100 Continue``).

        The server answers each itself (``render_error``) and closes the connection.
    """
    version = head.http_version
    if version not in _VERSIONS:
        raise HTTPVersionNotSupported(f"HTTP/{version.decode('ascii', 'replace')} is not supported.")
    target = head.target
    if len(target) > config.max_url_length:
        raise URITooLong(f"The request target is longer than {config.max_url_length} bytes.")
    if not target or _TARGET_RE.fullmatch(target) is None:  # RFC 9112 §3.2: visible ASCII only
        raise BadRequest("Malformed request target.")
    headers = head.headers
    if len(headers) > config.max_headers:
        raise RequestHeaderFieldsTooLarge(f"More than {config.max_headers} header fields.")
    # Parsers bound only an *incomplete* head; a complete over-long head arriving in one read is counted here.
    size = len(head.method) + len(target) + _REQUEST_LINE_OVERHEAD
    content_length: bytes | None = None
    codings: list[bytes] = []
    hosts = 0
    http11 = version == b"1.1"
    keep_alive = http11
    expects_continue = False
    for name, value in headers:
        size += len(name) + len(value) + 4
        if _CTL_RE.search(value) is not None:
            raise BadRequest(f"Control character in the value of the {name.decode('ascii', 'replace')} field.")
        if name == b"host":
            hosts += 1
        elif name == b"content-length":
            content_length = value
        elif name == b"transfer-encoding":
            codings.append(value)
        elif name == b"connection" and _has_token(value, b"close"):
            keep_alive = False
        elif name == b"expect" and value.strip().lower() == b"100-continue":
            expects_continue = http11
    chunked = bool(codings)
    if hosts > 1:  # RFC 9112 §3.2: more than one Host is a 400 (which one would routing believe?)
        raise BadRequest("More than one Host header field.")
    if hosts == 0 and http11:  # RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400
        raise BadRequest("Missing Host header field.")
    if chunked and not http11:  # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding is faulty
        raise BadRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request.")
    if size > config.max_head_size:
        raise RequestHeaderFieldsTooLarge(f"The request head is larger than {config.max_head_size} bytes.")
    if content_length is not None and chunked:
        raise BadRequest("Content-Length and Transfer-Encoding must not be sent together.")
    if chunked and (status := codings_status(codings)) is not None:
        if status == 400:
            raise BadRequest("Transfer-Encoding must end with chunked, once.")
        raise NotImplementedByServer("Only the chunked transfer coding is supported.")
    if content_length is not None:
        if not content_length.isdigit():
            raise BadRequest("Malformed Content-Length header field.")
        length = int(content_length)
        if length > config.max_body_size:
            raise RequestEntityTooLarge(f"The request body is larger than {config.max_body_size} bytes.")
        return keep_alive, length > 0, expects_continue and length > 0
    return keep_alive, chunked, expects_continue and chunked


def _has_token(value: bytes, token: bytes) -> bool:
    """Whether a comma-separated field value (RFC 9110 §5.6.1) lists ``token`` (case-insensitive)."""
    return any(item.strip().lower() == token for item in value.split(b","))


def split_target(target: bytes) -> tuple[str, str, str | None]:
    """The percent-decoded path, the raw query string and the authority of a request target (RFC 9112 §3.2).

    Origin form (``/a%20b?x=1``) is the common case and has no authority. Absolute form
    (``http://host:8080/p?q``, sent to proxies) gives its path and ``host:8080``: RFC 9112 §3.2.2
    makes that authority win over the Host header. Asterisk form (``*``, for ``OPTIONS``) is kept as ``*``.

    Raises:
        ValueError: an absolute-form target with user information (RFC 9110 §4.2.4), no host, or a bad port.
    """
    text = target.decode("ascii")  # check_request let only visible ASCII through
    authority = None
    if text[0] != "/" and text != "*":
        parts = urlsplit(text)
        if not parts.scheme or not parts.netloc or "@" in parts.netloc or parts.port == 0:
            raise ValueError("not an absolute-form target duck accepts")
        authority = parts.netloc  # parts.port raised ValueError above if the port is not a number
        text = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = text.partition("?")
    if "%" in path:
        path = unquote(path)
    return path, query, authority


# One Transfer-Encoding field line of a raw request head, its value captured.
_TE_LINE_RE = re.compile(rb"\r\ntransfer-encoding[ \t]*:([^\r\n]*)", re.IGNORECASE)


def transfer_coding_status(head: bytes) -> int:
    """The status for a raw request head whose Transfer-Encoding a parser refused (see :func:`codings_status`)."""
    values = _TE_LINE_RE.findall(head)
    return codings_status(values) or 501


def codings_status(values: list[bytes]) -> int | None:
    """The status for Transfer-Encoding field values other than one ``chunked``, or None when fine.

    RFC 9112 §6.3 ¶4: a request whose final coding is not chunked (``chunked, gzip``), or that is
    chunked twice, cannot be framed: 400, and the connection closes. A request that is correctly
    framed but uses a coding the server does not know (``gzip, chunked``) gets 501 (RFC 9112 §6.1).
    """
    codings = [coding.strip().lower() for value in values for coding in value.split(b",") if coding.strip()]
    if codings == [b"chunked"]:
        return None
    if b"chunked" in codings and (codings.count(b"chunked") > 1 or codings[-1] != b"chunked"):
        return 400
    return 501


class ResponseHead:
    """The head of a response, framed (RFC 9112 §6): bytes to send, and how the body and connection go."""

    __slots__ = ("chunked", "data", "keep_alive", "length")

    def __init__(self, data: bytes, chunked: bool, keep_alive: bool, length: int | None) -> None:
        self.data = data
        self.chunked = chunked  # the body goes out in chunks (RFC 9112 §7.1)
        self.keep_alive = keep_alive  # the connection stays open after the body
        self.length = length  # the declared Content-Length, if any


# Framed heads of recent responses, minus the Date/Server lines: most responses of an app repeat the
# same few heads (a status, a content type, a length), and framing one costs more than finding it.
_HEADS: dict[tuple[object, ...], ResponseHead] = {}
_HEADS_MAX = 512


def render_head(
    status: int,
    reason: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    streaming: bool,
    http11: bool,
    keep_alive: bool,
    extra: bytes = b"",
) -> ResponseHead:
    """Frame and serialize a response head; ``headers`` has lower-case names and may be extended.

    ``extra`` is server-made header lines sent as they are (``Date`` and ``Server``, formatted once a
    second), each ending with CRLF.

    Framing follows RFC 9112 §6.3 as a recipient will read it: a Content-Length is kept (also for
    HEAD, RFC 9110 §9.3.2); a body of unknown length is chunked for HTTP/1.1 clients and delimited
    by closing the connection for HTTP/1.0 ones; 204 and 304 carry no body. ``Connection: close`` is
    added whenever the connection will close (RFC 9112 §9.6).

    Raises:
        ValueError: a 1xx status, or a header that would corrupt the message (CR, LF or NUL in a
            value, a name that is not a token, a transfer coding other than chunked, a bad Content-Length).
    """
    key = (status, reason, streaming, http11, keep_alive, *headers)
    cached = _HEADS.get(key)
    if cached is None:
        cached = _frame(status, reason, headers, streaming=streaming, http11=http11, keep_alive=keep_alive)
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()  # unusual heads (cookies, ETags) must not make this grow without bound
        _HEADS[key] = cached
    data = cached.data
    return ResponseHead(b"".join((data, extra, b"\r\n")), cached.chunked, cached.keep_alive, cached.length)


def _frame(
    status: int,
    reason: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    streaming: bool,
    http11: bool,
    keep_alive: bool,
) -> ResponseHead:
    """:func:`render_head` without the cache and without ``extra``: the head up to its last field line."""
    if status < 200:  # 1xx are interim answers (RFC 9110 §15.2); an upgrade goes through UpgradeResponse
        raise ValueError(f"Status {status} cannot end a request; use UpgradeResponse to switch protocols.")
    fields = dict(headers)
    if not _VALID_NAMES.issuperset(fields):
        for name in fields:
            _check_name(name)
    if len(fields) == len(headers):  # no repeated names (the usual case): look the framing fields up
        raw_length = fields.get(b"content-length")
        coding = fields.get(b"transfer-encoding")
        connection = fields.get(b"connection")
    else:
        raw_length, coding, connection = _framing_fields(headers)
    length: int | None = None
    if raw_length is not None:
        if not raw_length.isdigit():
            raise ValueError(f"Invalid Content-Length {raw_length!r}.")
        length = int(raw_length)
    chunked = False
    if status not in (204, 304):
        if coding is not None:
            if coding.strip().lower() != b"chunked":
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
    if connection is not None and _has_token(connection, b"close"):
        keep_alive = False
    elif not keep_alive:
        headers.append((b"connection", b"close"))
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    lines += [name + b": " + value for name, value in headers]
    data = b"\r\n".join(lines)
    # One scan of the whole head instead of one per value: CR and LF may appear only between lines
    # and NUL not at all, or a value (or the reason) would split the response (RFC 9112 §2.2).
    separators = len(lines) - 1
    if data.count(b"\n") != separators or data.count(b"\r") != separators or b"\0" in data:
        raise ValueError(_bad_characters(reason, headers))
    return ResponseHead(data + b"\r\n", chunked, keep_alive, length)


def _framing_fields(headers: list[tuple[bytes, bytes]]) -> tuple[bytes | None, bytes | None, bytes | None]:
    """Content-Length, Transfer-Encoding and Connection when names repeat (lists joined, RFC 9110 §5.3)."""
    lengths = {value for name, value in headers if name == b"content-length"}
    if len(lengths) > 1:
        raise ValueError(f"Conflicting Content-Length values {sorted(lengths)!r}.")
    codings = [value for name, value in headers if name == b"transfer-encoding"]
    connections = [value for name, value in headers if name == b"connection"]
    return (
        lengths.pop() if lengths else None,
        b", ".join(codings) if codings else None,
        b", ".join(connections) if connections else None,
    )


def _bad_characters(reason: bytes, headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in [(b"reason phrase", reason), *headers]:
        if b"\r" in value or b"\n" in value or b"\0" in value:
            return f"Invalid character (CR, LF or NUL) in the response's {name.decode('latin-1')}."
    return "Invalid character (CR, LF or NUL) in the response head."


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


def render_error(status: int, message: str, extra_headers: list[tuple[bytes, bytes]]) -> bytes:
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
