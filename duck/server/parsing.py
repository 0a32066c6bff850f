"""HTTP/1.1 request parsers: bytes in, events out, the same events from h11 and from httptools (llhttp).

Both are sans-I/O and interchangeable (``SERVER_HTTP_PARSER``): ``feed(data)`` returns every event
the bytes complete, in order::

    RequestHead(method, target, http_version, headers)   the request line and header fields
    b"..."                                                 a piece of the (de-chunked) body
    END                                                    the message is complete
    CLOSED                                                 the client closed between two messages

A parser reads on past the end of a message (pipelining): the connection keeps the events of the
next request until the current one is answered. A request that asks for an upgrade stops the
parser: the bytes after it are kept in ``held``, for the protocol the connection switches to, or
for :meth:`resume` when it does not switch.

What the parsers refuse is raised as the exception tree's own ``HttpError`` (400, 431, 501); the
rules both parsers leave open (one Host, limits, control characters, versions) are checked on the
head by ``messages.check_request``, so both are exactly as strict.
"""

from __future__ import annotations

import re
from typing import Protocol

import h11

from duck.exceptions import (
    BadRequest,
    HttpError,
    HTTPVersionNotSupported,
    NotImplementedByServer,
    RequestHeaderFieldsTooLarge,
)
from duck.server.messages import transfer_coding_status

__all__ = ["CLOSED", "END", "Event", "H11Parser", "HttptoolsParser", "RequestHead", "RequestParser", "make_parser"]


# A request line: a method token, a target without spaces, a version (RFC 9112 §3).
_REQUEST_LINE_RE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]+ HTTP/\d\.\d\r?\n")


class RequestHead:
    """A request line and its header fields (names lower-cased, values as sent)."""

    __slots__ = ("headers", "http_version", "method", "target")

    def __init__(self, method: bytes, target: bytes, http_version: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.method = method
        self.target = target
        self.http_version = http_version
        self.headers = headers

    def __repr__(self) -> str:
        return f"<RequestHead {self.method!r} {self.target!r} HTTP/{self.http_version.decode()}>"


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


END = _Marker("END")
CLOSED = _Marker("CLOSED")
Event = RequestHead | bytes | _Marker


class RequestParser(Protocol):
    """What the connection asks of a parser."""

    held: bytes  # after an upgrade request: the bytes behind it, not parsed

    @property
    def in_message(self) -> bool:
        """A request has started and is not complete."""

    def feed(self, data: bytes) -> list[Event]: ...

    def feed_eof(self) -> list[Event]:
        """The client half-closed: CLOSED between messages; BadRequest in the middle of one."""

    def resume(self) -> list[Event]:
        """The upgrade did not happen: parse what was held."""


def make_parser(kind: str, max_head_size: int) -> RequestParser:
    """The parser named by ``SERVER_HTTP_PARSER``: ``"httptools"`` (llhttp) or ``"h11"``."""
    if kind == "httptools":
        return HttptoolsParser(max_head_size)
    return H11Parser(max_head_size)


# -- h11 ------------------------------------------------------------------------------------------------
class H11Parser:
    """h11, one ``h11.Connection`` per request (duck frames responses itself, so h11 never sees them)."""

    __slots__ = ("_conn", "_head", "_max_head_size", "held")

    def __init__(self, max_head_size: int) -> None:
        self._max_head_size = max_head_size
        self._conn = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head_size)
        self._head: list[bytes] = []  # raw bytes of the head being parsed, to tell why h11 refused it
        self.held = b""

    @property
    def in_message(self) -> bool:
        return self._conn.their_state is not h11.IDLE or bool(self._head)

    def feed(self, data: bytes) -> list[Event]:
        if self._conn.their_state is h11.IDLE:
            self._head.append(data)
        self._conn.receive_data(data)
        return self._events()

    def feed_eof(self) -> list[Event]:
        self._conn.receive_data(b"")
        return self._events()

    def resume(self) -> list[Event]:
        held, self.held = self.held, b""
        return self.feed(held) if held else []

    def _events(self) -> list[Event]:
        events: list[Event] = []
        while True:
            conn = self._conn
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._refusal(exc) from None
            kind = type(event)
            if kind is h11.Request:
                self._head = []
                events.append(RequestHead(event.method, event.target, event.http_version, list(event.headers)))  # type: ignore[union-attr]
            elif kind is h11.Data:
                events.append(bytes(event.data))  # type: ignore[union-attr]
            elif kind is h11.EndOfMessage:
                events.append(END)
                self._next_message()
            elif kind is h11.ConnectionClosed:
                events.append(CLOSED)
                return events
            elif event is h11.PAUSED:  # an upgrade request: what follows is not HTTP until we know
                trailing, _closed = conn.trailing_data
                self.held = bytes(trailing)
                self._conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self._max_head_size)
                return events
            else:  # NEED_DATA
                return events

    def _next_message(self) -> None:
        conn = self._conn
        if conn.their_state is h11._state.MIGHT_SWITCH_PROTOCOL:  # not in h11's public names
            return  # the next event is PAUSED
        trailing, closed = conn.trailing_data
        self._conn = fresh = h11.Connection(h11.SERVER, max_incomplete_event_size=self._max_head_size)
        if trailing:
            self._head = [bytes(trailing)]
            fresh.receive_data(trailing)
        if closed:
            fresh.receive_data(b"")

    def _refusal(self, exc: h11.RemoteProtocolError) -> HttpError:
        status = getattr(exc, "error_status_hint", 400)
        if status == 431:
            return RequestHeaderFieldsTooLarge(f"The request head is larger than {self._max_head_size} bytes.")
        if status == 501:  # h11 says 501 for every Transfer-Encoding it refuses; some are 400
            return _transfer_coding_refusal(b"".join(self._head))
        return BadRequest(str(exc))


# -- httptools (llhttp) ---------------------------------------------------------------------------------
class HttptoolsParser:
    """llhttp through httptools: one parser for the whole connection, callbacks turned into events."""

    __slots__ = (
        "_events",
        "_head",
        "_head_size",
        "_headers",
        "_in_head",
        "_in_message",
        "_max_head_size",
        "_parser",
        "_url",
        "held",
    )

    def __init__(self, max_head_size: int) -> None:
        import httptools

        self._max_head_size = max_head_size
        self._parser = httptools.HttpRequestParser(self)
        self._events: list[Event] = []
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._in_message = False
        self._in_head = False
        self._head: list[bytes] = []  # raw bytes of the head being parsed, for limits and diagnosis
        self._head_size = 0
        self.held = b""

    @property
    def in_message(self) -> bool:
        return self._in_message or bool(self._head)

    def feed(self, data: bytes) -> list[Event]:
        import httptools

        if not self._in_message or self._in_head:
            self._head.append(data)
            self._head_size += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self.held = data[upgrade.args[0] :]
        except httptools.HttpParserInvalidMethodError:
            if _REQUEST_LINE_RE.match(b"".join(self._head)) is None:
                raise BadRequest("Malformed request line.") from None
            raise NotImplementedByServer("The request method is not one this server implements.") from None
        except httptools.HttpParserError as exc:
            raise self._refusal(exc) from None
        if self._in_head and self._head_size > self._max_head_size:
            raise RequestHeaderFieldsTooLarge(f"The request head is larger than {self._max_head_size} bytes.")
        events, self._events = self._events, []
        return events

    def feed_eof(self) -> list[Event]:
        if self.in_message:
            raise BadRequest("The client closed the connection in the middle of a request.")
        return [CLOSED]

    def resume(self) -> list[Event]:
        held, self.held = self.held, b""
        return self.feed(held) if held else []

    def _refusal(self, exc: Exception) -> HttpError:
        if isinstance(exc.__context__, HttpError):  # raised by one of our callbacks
            return exc.__context__
        text = str(exc)
        if "Content-Length" in text:  # llhttp: duplicate or with Transfer-Encoding (RFC 9112 §6.3)
            return BadRequest(f"Malformed request: {text}.")
        if "Transfer-Encoding" in text:
            return _transfer_coding_refusal(b"".join(self._head))
        if "HTTP version" in text:
            return HTTPVersionNotSupported("Only HTTP/1.0 and HTTP/1.1 are supported.")
        return BadRequest(f"Malformed request: {text}.")

    # -- httptools callbacks ----------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._in_message = True
        self._in_head = True
        self._url = b""
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head = []
        self._head_size = 0
        version = self._parser.get_http_version().encode()  # check_request refuses all but 1.0 and 1.1
        self._events.append(RequestHead(self._parser.get_method(), self._url, version, self._headers))

    def on_body(self, body: bytes) -> None:
        self._events.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        self._events.append(END)


def _transfer_coding_refusal(head: bytes) -> HttpError:
    if transfer_coding_status(head) == 400:  # RFC 9112 §6.3: the body cannot be framed
        return BadRequest("Transfer-Encoding must end with chunked, once.")
    return NotImplementedByServer("Only the chunked transfer coding is supported.")
