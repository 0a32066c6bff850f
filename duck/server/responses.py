"""Writing one response on a connection: the head framed by ``render_head``, then the body.

The connection (``protocol.py``) hands a response here with what framing needs to know of the
request; a plain body goes out in one ``write`` (head and body together when small), a streaming
body piece by piece, waiting on the connection's :class:`~duck.utils.flow.WriteFlow` while the
client's buffer is full.
"""

from __future__ import annotations

import asyncio

from duck.http.response import NO_BODY_STATUSES, HttpResponse
from duck.server.messages import LAST_CHUNK, ResponseHead, chunk, render_head
from duck.utils.flow import WriteFlow

__all__ = ["Sent", "send_response"]

# A body larger than this is written apart from its head rather than copied into one buffer.
_COPY_LIMIT = 64 * 1024


class _ClientGone(Exception):
    """The peer closed the connection while we were answering: stop quietly."""


class Sent:
    """What was sent, for keep-alive and the access log."""

    __slots__ = ("bytes", "keep_alive", "started", "status")

    def __init__(self) -> None:
        self.status = 0
        self.bytes = 0
        self.keep_alive = False
        self.started = False  # the head went out: a failure now can only cut the connection


async def send_response(
    transport: asyncio.Transport,
    flow: WriteFlow,
    response: HttpResponse,
    sent: Sent,
    *,
    http11: bool,
    head_only: bool,
    keep_alive: bool,
    date: bytes,
) -> None:
    """Write ``response``; ``sent`` records how far it got.

    Raises:
        _ClientGone: the client left before or while the response went out.
        ValueError: the response is broken (a body that does not match its Content-Length).
    """
    status = response.status_code
    head = render_head(
        status,
        response.reason_phrase.encode("latin-1"),
        response.header_list(),
        streaming=response.streaming,
        http11=http11,
        keep_alive=keep_alive,
        extra=date,
    )
    sent.status = status
    sent.keep_alive = head.keep_alive
    if transport.is_closing():
        raise _ClientGone
    # RFC 9110 §9.3.2: HEAD gets the headers a GET would (Content-Length included) but no body.
    no_body = head_only or status in NO_BODY_STATUSES
    if not response.streaming:
        body = b"" if no_body else response.content
        if head.chunked:
            body = chunk(body) + LAST_CHUNK if body else (b"" if no_body else LAST_CHUNK)
        elif body and head.length != len(body):
            raise ValueError(f"Content-Length {head.length} does not match the body ({len(body)} bytes).")
        sent.started = True
        sent.bytes = len(body)
        if len(body) > _COPY_LIMIT:
            transport.writelines((head.data, body))
        else:
            transport.write(head.data + body)  # one write, one send() for the common case
        return
    sent.started = True
    transport.write(head.data)
    if not no_body:
        await _stream(transport, flow, response, head, sent)


async def _stream(
    transport: asyncio.Transport, flow: WriteFlow, response: HttpResponse, head: ResponseHead, sent: Sent
) -> None:
    """Send a streaming body piece by piece, waiting while the client's buffer is full."""
    chunked = head.chunked
    declared = head.length
    total = 0
    pieces = response.iter_async()
    try:
        async for data in pieces:
            if not data:
                continue  # an empty chunk would end a chunked body early
            if transport.is_closing():
                raise _ClientGone
            total += len(data)
            if declared is not None and total > declared:
                raise ValueError(f"The stream is longer than its Content-Length ({declared}).")
            transport.write(chunk(data) if chunked else data)
            sent.bytes = total
            if flow.paused and not await flow.drain():
                raise _ClientGone
    finally:
        await pieces.aclose()
    if transport.is_closing():
        raise _ClientGone
    if chunked:
        transport.write(LAST_CHUNK)
    elif declared is not None and total != declared:
        raise ValueError(f"The stream ended after {total} of its {declared} bytes.")
