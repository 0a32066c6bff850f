"""A WebSocket connection over an ASGI server's ``receive``/``send`` (ASGI 3 WebSocket spec).

The ASGI server owns the protocol (framing, masking, pings, the close handshake, compression);
this side maps the connection interface onto ASGI messages::

    websocket.connect        -> handshake checks already done by the view -> accept()
    accept()                 -> websocket.accept (with the negotiated subprotocol)
    close() before accept    -> a 403 response (websocket.http.response.*) or websocket.close
    websocket.receive        -> Message (capped: 1009 above the route's limits)
    send_text/bytes          -> websocket.send
    close()                  -> websocket.close
    websocket.disconnect     -> ConnectionClosed(code)

Keepalive pings are the ASGI server's job (uvicorn's ``--ws-ping-interval``); :meth:`ping` does
nothing here. ``RECEIVE_TIMEOUT`` bounds each wait for a message and closes with 1001.

Broadcasts cannot write to a transport here: they go into the connection's outbox, bounded in
bytes and drained by one writer task (``WebSocketConnection.try_send_prepared``, inherited).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from duck.contrib.websockets.connection import (
    CLOSED,
    CONNECTING,
    OPEN,
    ConnectionHandler,
    Message,
    PreparedFrame,
    WebSocketConnection,
)
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.contrib.websockets.handshake import select_subprotocol
from duck.http.upgrade import Receive, Scope, Send
from duck.utils.asyncio import current_owner
from duck.utils.asyncio.supervisor import spawn

if TYPE_CHECKING:
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.http.request import Request

__all__ = ["ASGIWebSocket", "run_asgi"]


_timeout = getattr(asyncio, "timeout", None)  # Python >= 3.11; wait_for (a task per call) before


class ASGIWebSocket(WebSocketConnection):
    """The connection interface over one ASGI ``websocket`` scope."""

    __slots__ = ("_asgi_receive", "_asgi_send", "_scope")

    def __init__(
        self, request: Request, options: ConnectionOptions, scope: Scope, receive: Receive, send: Send
    ) -> None:
        WebSocketConnection.__init__(self, request, options)
        self._scope = scope
        self._asgi_receive = receive
        self._asgi_send = send

    async def _accept(self, subprotocol: str | None, headers: Iterable[tuple[str, str]] | None) -> None:
        if subprotocol is None:
            subprotocol = select_subprotocol(self.options.subprotocols, self._scope.get("subprotocols") or ())
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            message["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        await self._send_message(message)
        self.subprotocol = subprotocol
        self._mark_open()

    async def _receive(self) -> Message:
        while True:
            if self._state is not OPEN:
                raise self._closed_error()
            message = await self._next_message()
            kind = message["type"]
            if kind == "websocket.receive":
                return await self._to_message(message)
            if kind == "websocket.disconnect":
                self._mark_closed(message.get("code", CloseCode.NO_STATUS_RCVD), message.get("reason") or "")

    async def _next_message(self) -> MutableMapping[str, Any]:
        timeout = self.options.receive_timeout
        try:
            if timeout is None:
                return await self._asgi_receive()
            if _timeout is not None:
                async with _timeout(timeout):
                    return await self._asgi_receive()
            return await asyncio.wait_for(self._asgi_receive(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            await self.close(CloseCode.GOING_AWAY, "receive timeout")
            raise self._closed_error() from None

    async def _to_message(self, message: MutableMapping[str, Any]) -> Message:
        text = message.get("text")
        result = Message(OpCode.BINARY, message.get("bytes") or b"") if text is None else Message(OpCode.TEXT, text)
        cap = self.options.whole_message_cap
        # A text's UTF-8 size is at most 4 bytes per character: encode only when it could matter.
        if cap is not None and (text is None or len(text) * 4 > cap) and len(result.bytes) > cap:
            await self.close(CloseCode.MESSAGE_TOO_BIG, f"message exceeds {cap} bytes")
            raise self._closed_error()
        return result

    async def _send_text(self, data: str) -> None:
        await self._send_message({"type": "websocket.send", "text": data})

    async def _send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        await self._send_message({"type": "websocket.send", "bytes": bytes(data)})

    async def _send_prepared(self, frame: PreparedFrame) -> None:
        if frame.opcode is OpCode.TEXT:
            await self._send_text(frame.text)
        else:
            await self._send_bytes(frame.payload)

    def close_nowait(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        if self._state is CLOSED:
            return
        self._drop_outbox()
        refused = self._state is CONNECTING
        self._mark_closed(code, reason)  # closed for the application now; its tasks are cancelled
        # The websocket.close message needs an await: a task of its own, owned by the server
        # (not by this connection, whose tasks the close just cancelled).
        spawn(self._send_close(code, reason, refused), name="websocket close", context=contextvars.Context())

    async def _ping(self, data: bytes) -> None:
        """ASGI has no ping message: the server sends keepalive pings itself."""

    async def _close(self, code: int, reason: str) -> None:
        if self._state is CLOSED:
            return
        refused = self._state is CONNECTING
        self._mark_closed(code, reason)
        await self._send_close(code, reason, refused)

    async def _send_close(self, code: int, reason: str, refused: bool) -> None:
        try:
            if refused and "websocket.http.response" in self._scope.get("extensions", {}):
                await self._refuse_with_403()
                return
            message: dict[str, Any] = {"type": "websocket.close", "code": int(code)}
            if reason and not refused:
                message["reason"] = reason
            await self._asgi_send(message)
        except (OSError, RuntimeError):
            pass  # the client is already gone: closed either way

    async def _refuse_with_403(self) -> None:
        """Refuse the handshake with a real HTTP response (the ASGI "WebSocket Denial Response" extension)."""
        body = b"WebSocket connection refused.\n"
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await self._asgi_send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
        await self._asgi_send({"type": "websocket.http.response.body", "body": body, "more_body": False})

    async def _send_message(self, message: MutableMapping[str, Any]) -> None:
        try:
            await self._asgi_send(message)
        except (OSError, RuntimeError) as exc:
            # Servers raise (ClientDisconnected, an OSError, or RuntimeError) on a send after the
            # client left; to the application that is a closed connection.
            self._mark_closed(CloseCode.ABNORMAL_CLOSURE, "")
            raise self._closed_error() from exc


async def run_asgi(
    request: Request, handler: ConnectionHandler, options: ConnectionOptions, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run one WebSocket connection under an ASGI server (``UpgradeResponse.run_asgi``, partially applied).

    ``websocket.connect`` must still be the next message of ``receive``: the front door
    dispatched the upgrade request without reading it.
    """
    first = await receive()
    if first["type"] != "websocket.connect":
        return  # the client left before the handshake
    connection = ASGIWebSocket(request, options, scope, receive, send)
    token = current_owner.set(connection)  # tasks created by the handler belong to this connection
    try:
        await connection._main(handler)
    finally:
        current_owner.reset(token)
        if not connection.closed:
            connection._mark_closed(CloseCode.ABNORMAL_CLOSURE)
