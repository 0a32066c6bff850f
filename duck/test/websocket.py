"""The WebSocket half of the test clients: a conversation with a WebSocket route, in-process.

::

    from duck.test import Client

    def test_echo():
        with Client().websocket_connect("/ws/myws") as ws:
            ws.send_text("hello")
            assert ws.receive_text() == "You sent hello"

    async def test_echo_async():
        async with AsyncClient().websocket_connect("/ws/myws") as ws:
            await ws.send_text("hello")
            assert await ws.receive_text() == "You sent hello"

No socket is opened. The session plays the ASGI server: it builds a ``websocket`` scope from the
path, headers and cookies, and runs duck's ASGI front door (:class:`duck.asgi.ASGIHandler`, with
the client's dispatcher) on in-memory queues, so the handshake goes through the URL conf, the
middleware and the handshake checks exactly as under uvicorn. It offers the ASGI "WebSocket
Denial Response" extension, so a refused handshake comes back with its real HTTP status and body.

Every wait is bounded: the handshake and each ``receive*`` give up after ``timeout`` seconds with
:class:`WebSocketTimeout` (a :class:`TimeoutError`) naming what was awaited, so a test never hangs.

Behaviour, as a real client sees it:

- the server refuses the handshake (an HTTP error, or a close before accepting): entering the
  session raises :class:`WebSocketRejected` with the status and body;
- the server closes: messages it sent before are received first, then ``receive*`` raises
  :class:`~duck.exceptions.WebSocketDisconnect` (a :class:`~duck.exceptions.ConnectionClosed`)
  with the code and reason; ``close_code`` holds the code;
- an error escaping duck's ASGI application (a bug, not a handler error: those close with 1011)
  is raised in the test by the next ``receive*`` or on leaving the session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from duck.contrib.websockets.connection import Message
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.exceptions import ConnectionClosed, WebSocketDisconnect
from duck.http.datastructures import Headers
from duck.http.response import compact_json

if TYPE_CHECKING:
    from duck.test.client import BaseClient, Client

__all__ = [
    "AsyncWebSocketSession",
    "ClientDisconnected",
    "WebSocketRejected",
    "WebSocketSession",
    "WebSocketTimeout",
]

ASGIMessage = MutableMapping[str, Any]

# A fixed, valid Sec-WebSocket-Key (base64 of 16 bytes): ASGI servers pass the header on, so
# views that read it see one; the accept value is never checked in-process.
_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
# What the session says when the application closes before accepting: uvicorn and hypercorn
# answer such a close with 403, and so does a browser's view of it.
_CLOSED_BEFORE_ACCEPT_STATUS = 403
# Handshake states of the ASGI conversation.
_CONNECTING, _RESPONDING, _OPEN, _CLOSED = range(4)


class WebSocketRejected(Exception):
    """The server refused the WebSocket handshake.

    Attributes:
        status_code: the HTTP status of the refusal (403 cross-site Origin, 426 wrong version,
            404 no route...; 403 when the application closed before accepting).
        headers: the refusal's response headers.
        content: its body.
        close_code: the close code when the application refused by closing before accepting.
    """

    def __init__(
        self, path: str, status_code: int, headers: Headers, content: bytes, close_code: int | None = None
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.close_code = close_code
        try:
            phrase = HTTPStatus(status_code).phrase
        except ValueError:
            phrase = ""
        how = f" (closed with {close_code} before accepting)" if close_code is not None else ""
        super().__init__(f"The server refused the WebSocket handshake to {path}: {status_code} {phrase}{how}".rstrip())

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class WebSocketTimeout(TimeoutError):
    """Nothing the test waited for came within the session's timeout; the message says what it was."""


class ClientDisconnected(ConnectionResetError):
    """Raised to the application by ``send`` after the connection is closed (ASGI: an ``OSError``)."""


class _Closed:
    """The end of the server's messages: the close frame it sent, or the connection dropping."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class _Crashed:
    """The ASGI application raised: the error goes to the test's next receive."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class AsyncWebSocketSession:
    """One WebSocket conversation with the application (``async with client.websocket_connect(...)``).

    Attributes:
        path: the path connected to (with its query string).
        subprotocol: the subprotocol the server agreed on, or None.
        headers: the headers the server added to its 101 response.
        close_code: the code of the close that ended the connection (the server's, or the one
            passed to :meth:`close`; 1006 if the application ended without closing); None while open.
        close_reason: the reason that came with it.
        timeout: the default bound, in seconds, of the handshake and of every receive.
    """

    def __init__(
        self,
        client: BaseClient,
        path: str,
        *,
        subprotocols: Sequence[str] | None = None,
        headers: Any = None,
        timeout: float = 5.0,
    ) -> None:
        if isinstance(subprotocols, str):
            raise TypeError(f"subprotocols is a list of names: write [{subprotocols!r}].")
        self._client = client
        self.path = path
        self.timeout = timeout
        self._subprotocols = list(subprotocols or ())
        self._extra_headers = headers
        self.subprotocol: str | None = None
        self.headers = Headers()
        self.close_code: int | None = None
        self.close_reason = ""
        self._state = _CONNECTING
        self._accepted = False
        self._error_reported = False
        self._crash: BaseException | None = None
        self._client_closed = False  # the test closed, or saw the server's close
        self._to_app: asyncio.Queue[ASGIMessage] | None = None
        self._from_app: asyncio.Queue[Message | _Closed | _Crashed] | None = None
        self._disconnect: ASGIMessage | None = None  # once set, every later app receive() returns it
        self._handshake: asyncio.Future[None] | None = None
        self._app_task: asyncio.Task[None] | None = None
        self._refusal: tuple[int, list[tuple[bytes, bytes]], bytearray] | None = None

    def __repr__(self) -> str:
        state = ("connecting", "refusing", "open", "closed")[self._state]
        code = f" code={self.close_code}" if self.close_code is not None else ""
        return f"<AsyncWebSocketSession {self.path} {state}{code}>"

    @property
    def closed(self) -> bool:
        """True once either side closed the connection."""
        return self._state == _CLOSED

    # -- the handshake ---------------------------------------------------------------------------
    async def __aenter__(self) -> AsyncWebSocketSession:
        await self._connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            await self.close()
            return
        try:
            await self.close()
        except Exception:
            pass  # the error that left the block is the one the test needs to see

    async def _connect(self) -> None:
        from duck.asgi import ASGIHandler  # the front door imports the whole dispatcher: only when used

        if self._app_task is not None:
            raise RuntimeError("This WebSocket session was already opened; call websocket_connect() again.")
        loop = asyncio.get_running_loop()
        self._to_app = asyncio.Queue()
        self._from_app = asyncio.Queue()
        self._handshake = loop.create_future()
        self._to_app.put_nowait({"type": "websocket.connect"})
        app = ASGIHandler(self._client._handler)
        self._app_task = loop.create_task(app(self._scope(), self._app_receive, self._app_send))
        self._app_task.add_done_callback(self._app_ended)
        done, _ = await asyncio.wait(
            {self._handshake, self._app_task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._handshake.done():
            if self._accepted:
                return  # perhaps already closed again: receive() reports that
            await self._finish_app(self.timeout)  # refused: let the application end before reporting
            raise self._rejection()
        if self._app_task in done:
            self._app_task.result()  # raises the application's error, if it had one
            self._state = _CLOSED
            # What uvicorn answers when the application returns without accepting or refusing.
            raise WebSocketRejected(self.path, 500, Headers(), b"The application ended without answering.\n")
        await self._finish_app(0)
        raise WebSocketTimeout(
            f"websocket_connect({self.path!r}): the server neither accepted nor refused the handshake "
            f"within {self.timeout} seconds."
        )

    def _scope(self) -> dict[str, Any]:
        client = self._client
        prepared = client._prepare("GET", self.path, headers=self._extra_headers)
        url = urlsplit(prepared.url)
        headers = prepared.headers.copy()
        headers.setdefault("host", url.netloc)
        cookie = client.cookies.header()
        if cookie is not None:
            headers.setdefault("cookie", cookie)
        for name, value in (
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", _KEY),
        ):
            headers.setdefault(name, value)
        if self._subprotocols:
            headers["sec-websocket-protocol"] = ", ".join(self._subprotocols)
        secure = url.scheme in ("https", "wss")
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if secure else "ws",
            "server": (url.hostname or client.host, url.port or (443 if secure else 80)),
            "client": client.client_address,
            "root_path": "",
            "path": unquote(url.path),
            "raw_path": url.path.encode("ascii", "replace"),
            "query_string": url.query.encode("latin-1"),
            "headers": raw,
            "subprotocols": list(self._subprotocols),
            "extensions": {"websocket.http.response": {}},
            "state": {},
        }

    def _rejection(self) -> WebSocketRejected:
        status, raw_headers, body = self._refusal or (_CLOSED_BEFORE_ACCEPT_STATUS, [], bytearray())
        headers = Headers.from_raw(raw_headers)
        self._client.cookies.update_from_headers(headers.getlist("set-cookie"))
        close_code = self.close_code if self._refusal is None else None
        return WebSocketRejected(self.path, status, headers, bytes(body), close_code)

    # -- the ASGI server's side (called by the application) -------------------------------------
    async def _app_receive(self) -> ASGIMessage:
        assert self._to_app is not None
        if self._disconnect is not None and self._to_app.empty():
            return self._disconnect
        return await self._to_app.get()

    async def _app_send(self, message: ASGIMessage) -> None:
        kind = message["type"]
        state = self._state
        if state == _OPEN:
            if kind == "websocket.send":
                self._from_app_put(_message_from(message))
            elif kind == "websocket.close":
                self._server_closed(message.get("code", CloseCode.NORMAL_CLOSURE), message.get("reason") or "")
            else:
                raise RuntimeError(f"Unexpected ASGI message {kind!r} on an open WebSocket.")
        elif state == _CONNECTING:
            self._handshake_message(kind, message)
        elif state == _RESPONDING:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"Unexpected ASGI message {kind!r} in a denial response.")
            assert self._refusal is not None
            self._refusal[2].extend(message.get("body", b""))
            if not message.get("more_body", False):
                self._state = _CLOSED
                self._handshake_done()
        else:
            # ASGI: "send() on a closed connection raises a server-specific subclass of OSError".
            raise ClientDisconnected(f"The WebSocket to {self.path} is closed (sending {kind!r}).")

    def _handshake_message(self, kind: str, message: ASGIMessage) -> None:
        if kind == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            raw = message.get("headers") or []
            self.headers = Headers.from_raw(raw)
            self._client.cookies.update_from_headers(self.headers.getlist("set-cookie"))
            self._state = _OPEN
            self._accepted = True
            self._handshake_done()
        elif kind == "websocket.close":
            self._state = _CLOSED
            self.close_code = message.get("code", CloseCode.NORMAL_CLOSURE)
            self.close_reason = message.get("reason") or ""
            self._handshake_done()
        elif kind == "websocket.http.response.start":
            self._refusal = (message["status"], list(message.get("headers") or []), bytearray())
            self._state = _RESPONDING
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} before the WebSocket handshake.")

    def _handshake_done(self) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _server_closed(self, code: int, reason: str) -> None:
        self._state = _CLOSED
        self.close_code, self.close_reason = code, reason
        self._from_app_put(_Closed(code, reason))
        # The client answers the close frame with its own (RFC 6455 §5.5.1): the application's
        # next receive() reports the disconnect with the code it sent.
        self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}

    def _from_app_put(self, item: Message | _Closed | _Crashed) -> None:
        assert self._from_app is not None
        self._from_app.put_nowait(item)

    def _app_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            error: BaseException | None = None
        else:
            error = task.exception()
        if error is not None:
            self._from_app_put(_Crashed(error))
        elif self._state == _OPEN:
            # Returned without closing: a real server drops the TCP connection, the client sees 1006.
            self._state = _CLOSED
            self.close_code, self.close_reason = CloseCode.ABNORMAL_CLOSURE, ""
            self._from_app_put(_Closed(CloseCode.ABNORMAL_CLOSURE, ""))

    # -- the test's side -------------------------------------------------------------------------
    async def send_text(self, data: str) -> None:
        """Send a text message.

        Raises:
            ConnectionClosed: the test closed the session, or already received the server's close.
        """
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes str, not {type(data).__name__}; use send_bytes() for bytes.")
        self._send({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message (raises as :meth:`send_text`)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}; use send_text() for str.")
        self._send({"type": "websocket.receive", "bytes": bytes(data)})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as JSON in a text message (``mode="text"``) or a binary one (``"binary"``)."""
        text = compact_json(data)
        if mode == "text":
            await self.send_text(text)
        elif mode == "binary":
            await self.send_bytes(text.encode())
        else:
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}.')

    def _send(self, message: ASGIMessage) -> None:
        self._check_started("send")
        if self._client_closed:
            raise ConnectionClosed(self.close_code or CloseCode.ABNORMAL_CLOSURE, self.close_reason)
        if self._state == _CLOSED:
            # The server closed but the test has not received it yet: on the wire this message
            # crosses the close frame and the server drops it. Nothing to deliver.
            return
        assert self._to_app is not None
        self._to_app.put_nowait(message)

    async def receive(self, timeout: float | None = None) -> Message:
        """The next message from the server (``.is_text``, ``.text``, ``.bytes``, ``.data``).

        Args:
            timeout: seconds to wait; the session's ``timeout`` by default.

        Raises:
            WebSocketDisconnect: the server closed the connection (``code``, ``reason``).
            WebSocketTimeout: no message within ``timeout`` seconds.
        """
        return await self._receive("receive()", timeout)

    async def receive_text(self, timeout: float | None = None) -> str:
        """The next message, which must be text (raises as :meth:`receive`; TypeError for binary)."""
        message = await self._receive("receive_text()", timeout)
        if not message.is_text:
            raise TypeError(f"receive_text() got a binary message: {message!r}")
        return message.text

    async def receive_bytes(self, timeout: float | None = None) -> bytes:
        """The next message, which must be binary (raises as :meth:`receive`; TypeError for text)."""
        message = await self._receive("receive_bytes()", timeout)
        if message.is_text:
            raise TypeError(f"receive_bytes() got a text message: {message!r}")
        return message.bytes

    async def receive_json(self, timeout: float | None = None, mode: str = "text") -> Any:
        """The next message parsed as JSON, from a text message (``mode="text"``) or a binary one."""
        if mode not in ("text", "binary"):
            raise ValueError(f'mode must be "text" or "binary", not {mode!r}.')
        message = await self._receive("receive_json()", timeout)
        if message.is_text != (mode == "text"):
            raise TypeError(f"receive_json(mode={mode!r}) got {message!r}")
        return json.loads(message.text if message.is_text else message.bytes)

    async def _receive(self, what: str, timeout: float | None) -> Message:
        self._check_started("receive")
        queue = self._from_app
        assert queue is not None
        if self._crash is not None and queue.empty():
            raise self._crash
        if self._client_closed and queue.empty():
            raise WebSocketDisconnect(self.close_code or CloseCode.ABNORMAL_CLOSURE, self.close_reason)
        wait = self.timeout if timeout is None else timeout
        try:
            item = await asyncio.wait_for(queue.get(), wait)
        except asyncio.TimeoutError:
            raise WebSocketTimeout(
                f"{what} on {self.path}: no message from the server within {wait} seconds."
            ) from None
        if isinstance(item, Message):
            return item
        if isinstance(item, _Crashed):
            self._crash = item.error
            self._error_reported = True  # the test has seen it: leaving the session does not raise it again
            raise item.error
        self._client_closed = True
        raise WebSocketDisconnect(item.code, item.reason)

    def _check_started(self, what: str) -> None:
        if self._app_task is None:
            raise RuntimeError(f"Cannot {what} before the session is open: use it in a with/async with block.")

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection (a client close frame with ``code``) and wait for the application to end.

        Closing a closed session only waits for the application.

        Raises:
            WebSocketTimeout: the application did not end within the session's timeout (it was cancelled).
        """
        if self._app_task is None:
            return
        if self._state != _CLOSED:
            self._state = _CLOSED
            self.close_code, self.close_reason = code, reason
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._to_app.put_nowait(self._disconnect)  # type: ignore[union-attr]
        self._client_closed = True
        await self._finish_app(self.timeout)

    async def _finish_app(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the application to end; cancel it after that, and raise."""
        task = self._app_task
        assert task is not None
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=timeout)
            if not done:
                task.cancel()
                await asyncio.wait({task})
                if timeout > 0:
                    raise WebSocketTimeout(
                        f"The application serving {self.path} did not end within {timeout} seconds "
                        f"of the connection closing; it was cancelled."
                    )
                return
        if not task.cancelled() and task.exception() is not None and not self._error_reported:
            self._error_reported = True
            raise task.exception()  # type: ignore[misc]


def _message_from(message: ASGIMessage) -> Message:
    text, data = message.get("text"), message.get("bytes")
    if (text is None) == (data is None):
        raise RuntimeError("An ASGI websocket.send message carries exactly one of 'text' and 'bytes'.")
    return Message(OpCode.TEXT, text) if text is not None else Message(OpCode.BINARY, bytes(data or b""))


class WebSocketSession:
    """The blocking face of :class:`AsyncWebSocketSession`, for sync tests (``with client.websocket_connect(...)``).

    While a session is open, the :class:`~duck.test.Client`'s event loop runs in a helper thread,
    so the application (and a sync dwebsocket view's own thread) keeps running between the
    test's calls, as it would behind a real server. Same attributes and methods as the async
    session, called without ``await``.
    """

    def __init__(self, client: Client, session: AsyncWebSocketSession) -> None:
        self._client = client
        self._session = session
        self._entered = False

    def __repr__(self) -> str:
        return repr(self._session).replace("AsyncWebSocketSession", "WebSocketSession", 1)

    # Read-only views of the async session's state.
    path = property(lambda self: self._session.path)
    timeout = property(lambda self: self._session.timeout)
    subprotocol = property(lambda self: self._session.subprotocol)
    headers = property(lambda self: self._session.headers)
    close_code = property(lambda self: self._session.close_code)
    close_reason = property(lambda self: self._session.close_reason)
    closed = property(lambda self: self._session.closed)

    def __enter__(self) -> WebSocketSession:
        self._client._open_session(self)
        try:
            self._client._run(self._session._connect())
        except BaseException:
            self._client._end_session(self)
            raise
        self._entered = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._entered:
            return
        self._entered = False
        try:
            self._client._run(self._session.__aexit__(exc_type, exc, tb))
        finally:
            self._client._end_session(self)

    def send_text(self, data: str) -> None:
        self._client._run(self._session.send_text(data))

    def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        self._client._run(self._session.send_bytes(data))

    def send_json(self, data: Any, mode: str = "text") -> None:
        self._client._run(self._session.send_json(data, mode))

    def receive(self, timeout: float | None = None) -> Message:
        return self._client._run(self._session.receive(timeout))

    def receive_text(self, timeout: float | None = None) -> str:
        return self._client._run(self._session.receive_text(timeout))

    def receive_bytes(self, timeout: float | None = None) -> bytes:
        return self._client._run(self._session.receive_bytes(timeout))

    def receive_json(self, timeout: float | None = None, mode: str = "text") -> Any:
        return self._client._run(self._session.receive_json(timeout, mode))

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        self._client._run(self._session.close(code, reason))
