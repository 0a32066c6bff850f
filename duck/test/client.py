"""In-process test clients: requests go straight to duck's dispatcher, with no sockets and no server.

::

    from duck.test import Client

    def test_home():
        client = Client()
        response = client.get("/items/3")
        assert response.status_code == 200
        assert response.json() == {"id": 3}

:class:`Client` is for plain (sync) test functions; :class:`AsyncClient` is awaited in async ones.
Both keep cookies between requests, build form, multipart and JSON bodies, and follow redirects
on request; ``websocket_connect(path)`` opens an in-process WebSocket session
(:mod:`duck.test.websocket`). The Host is ``testserver``: add it to ``ALLOWED_HOSTS`` in test
settings, or call :func:`duck.test.utils.setup_test_environment` once per test session.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from duck.conf import settings
from duck.core.exception import error_response
from duck.core.handler import Handler, get_handler
from duck.exceptions import RequestEntityTooLarge
from duck.http.datastructures import Headers
from duck.http.request import Request
from duck.http.response import NO_BODY_STATUSES, HttpResponse
from duck.staticfiles.middleware import StaticFilesMiddleware
from duck.test.cookies import CookieJar
from duck.test.encoding import FileSpec, FormData, encode_json, encode_multipart, encode_urlencoded
from duck.test.response import TestResponse
from duck.test.websocket import AsyncWebSocketSession, WebSocketSession
from duck.utils.sync import close_loop

__all__ = ["AsyncClient", "Client", "TooManyRedirects"]

T = TypeVar("T")
HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Browsers give up after 20 redirects (Fetch standard, "HTTP-redirect fetch" step 5); so do the clients.
MAX_REDIRECTS = 20
# Methods whose form data goes into the query string, as an HTML form with method=GET does.
_QUERY_DATA_METHODS = frozenset({"GET", "HEAD"})
# Headers that describe a body, dropped when a redirect turns the request into a bodiless GET.
_BODY_HEADERS = ("content-type", "content-length", "content-encoding", "content-language", "content-location")


class TooManyRedirects(Exception):
    """A redirect chain longer than :data:`MAX_REDIRECTS`; ``chain`` holds what was followed."""

    def __init__(self, chain: list[tuple[str, int]]) -> None:
        super().__init__(f"More than {MAX_REDIRECTS} redirects; the last was to {chain[-1][0]!r}.")
        self.chain = chain


@dataclass(frozen=True)
class _Prepared:
    """One request to send: everything but the Host and Cookie headers, which are added at send time."""

    method: str
    url: str  # absolute and still percent-encoded: redirects resolve Location against it
    headers: Headers
    body: bytes


class BaseClient:
    """What both clients share: building requests, the cookie jar, redirects, collecting bodies.

    Args:
        handler: the dispatcher to call; the process-wide one by default.
        headers: headers sent with every request (a request's own headers win).
        host: the Host of requests given as a path.
        scheme: ``"http"`` or ``"https"`` (``request.is_secure()``).
        client_address: what ``request.client`` reports.
        enforce_csrf_checks: check CSRF tokens as for real browsers; off by default, as in Django's
            test client, so tests post forms without fetching a token first.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        headers: HeadersArg = None,
        host: str = "testserver",
        scheme: str = "http",
        client_address: tuple[str, int] = ("127.0.0.1", 50000),
        enforce_csrf_checks: bool = False,
    ) -> None:
        self._handler = handler
        self.enforce_csrf_checks = enforce_csrf_checks
        self.default_headers = Headers(headers)
        self.host = host
        self.scheme = scheme
        self.client_address = client_address
        self.cookies = CookieJar()

    # WebSocket sessions: ``websocket_connect(path, ...)`` (duck/test/websocket.py) runs the
    # upgrade through duck's ASGI front door on in-memory queues. A plain request with upgrade
    # headers to a WebSocket route returns the UpgradeResponse (status 101, empty body) untouched.

    @property
    def handler(self) -> Handler:
        return self._handler if self._handler is not None else get_handler(inner_middleware=[StaticFilesMiddleware])

    # -- building --------------------------------------------------------------------------------
    def _prepare(
        self,
        method: str,
        path: str,
        *,
        data: FormData | bytes | str | None = None,
        json: Any = None,
        files: Mapping[str, FileSpec | list[FileSpec]] | None = None,
        headers: HeadersArg = None,
        query_params: FormData | None = None,
    ) -> _Prepared:
        method = method.upper()
        merged = self.default_headers.copy()
        for name, value in Headers(headers).items():
            merged[name] = value
        query_data: list[FormData | None] = []
        if method in _QUERY_DATA_METHODS and not isinstance(data, (bytes, str)):
            query_data.append(data)
            data = None
        query_data.append(query_params)
        body, content_type = _encode_body(data, json, files)
        if content_type is not None and "content-type" not in merged:
            merged["content-type"] = content_type
        return _Prepared(method, self._absolute_url(path, query_data), merged, body)

    def _absolute_url(self, path: str, query_data: list[FormData | None]) -> str:
        parts = urlsplit(path)
        scheme, host = (parts.scheme, parts.netloc) if parts.netloc else (self.scheme, self.host)
        query = "&".join(q for q in [parts.query, *(encode_urlencoded(d).decode() for d in query_data if d)] if q)
        return f"{scheme}://{host}{parts.path or '/'}" + (f"?{query}" if query else "")

    def _build_request(self, prepared: _Prepared) -> Request:
        parts = urlsplit(prepared.url)
        headers = prepared.headers.copy()
        headers.setdefault("host", parts.netloc)
        cookie = self.cookies.header()
        if cookie is not None:
            headers.setdefault("cookie", cookie)
        if prepared.body:
            headers["content-length"] = str(len(prepared.body))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        request = Request(
            prepared.method,
            unquote(parts.path),
            query_string=parts.query,
            headers=headers,
            body=prepared.body,
            client=self.client_address,
            server=(parts.hostname or self.host, port),
            scheme=parts.scheme,
        )
        if not self.enforce_csrf_checks:
            request.__dict__["_dont_enforce_csrf_checks"] = True  # read by CsrfViewMiddleware (Django's name)
        return request

    # -- sending ---------------------------------------------------------------------------------
    async def _request(self, method: str, path: str, follow: bool = False, **options: Any) -> TestResponse:
        prepared = self._prepare(method, path, **options)
        response = await self._send(prepared)
        chain: list[tuple[str, int]] = []
        while follow and response.status_code in REDIRECT_STATUSES and "location" in response.response.headers:
            location = response.response.headers["location"]
            chain.append((location, response.status_code))
            if len(chain) > MAX_REDIRECTS:
                raise TooManyRedirects(chain)
            prepared = _redirected(prepared, location, response.status_code)
            response = await self._send(prepared)
        response.redirect_chain = chain
        return response

    async def _send(self, prepared: _Prepared) -> TestResponse:
        request = self._build_request(prepared)
        try:
            response = _refuse_large_body(prepared.body) or await self.handler.handle(request)
            try:
                chunks = await _collect(response, request.method)
            finally:
                response.close()
        finally:
            request.close()
        self.cookies.update_from_headers(
            value.decode("latin-1") for name, value in response.header_list() if name.lower() == b"set-cookie"
        )
        return TestResponse(response, request, chunks)


def _refuse_large_body(body: bytes) -> HttpResponse | None:
    """The 413 that every real front door sends above ``SERVER_MAX_BODY_SIZE``, so tests see it too."""
    limit = settings.SERVER_MAX_BODY_SIZE
    if len(body) <= limit:
        return None
    refusal = RequestEntityTooLarge(f"Request body exceeds SERVER_MAX_BODY_SIZE ({limit} bytes).")
    return error_response(refusal.status_code, refusal.message)


def _encode_body(
    data: FormData | bytes | str | None, json: Any, files: Mapping[str, Any] | None
) -> tuple[bytes, str | None]:
    """The request body and its Content-Type (None when the caller must say, or there is no body)."""
    if json is not None:
        return encode_json(json), "application/json"
    if files:
        return encode_multipart(data if not isinstance(data, (bytes, str)) else None, files)
    if isinstance(data, str):
        return data.encode("utf-8"), None
    if isinstance(data, bytes):
        return data, None
    if data is not None:
        return encode_urlencoded(data), "application/x-www-form-urlencoded"
    return b"", None


def _redirected(prepared: _Prepared, location: str, status: int) -> _Prepared:
    """The request a browser makes next (Fetch standard, "HTTP-redirect fetch" steps 12-13)."""
    method, body, headers = prepared.method, prepared.body, prepared.headers.copy()
    if (status in (301, 302) and method == "POST") or (status == 303 and method not in ("GET", "HEAD")):
        method, body = "GET", b""
        for name in _BODY_HEADERS:
            del headers[name]
    if urlsplit(location).netloc:
        del headers["host"]  # another site: its own Host, not one the test set for the first request
    return replace(prepared, method=method, url=urljoin(prepared.url, location), headers=headers, body=body)


async def _collect(response: HttpResponse, method: str) -> list[bytes]:
    """The body as a server would send it: nothing for HEAD (RFC 9110 §9.3.2) or bodiless statuses."""
    if method == "HEAD" or response.status_code in NO_BODY_STATUSES:
        return []
    if not response.streaming:
        return [response.content] if response.content else []
    async with aclosing(response.iter_async()) as chunks:
        return [chunk async for chunk in chunks if chunk]


class AsyncClient(BaseClient):
    """A test client for async tests: every request method is awaited.

    ::

        async def test_item():
            response = await AsyncClient().get("/items/3")
    """

    async def request(self, method: str, path: str, data: Any = None, **options: Any) -> TestResponse:
        """Send one request.

        Args:
            method: the HTTP method.
            path: a path (``/items?x=1``) or an absolute URL.
            data: form fields (urlencoded; in the query string for GET/HEAD), or raw ``bytes``/``str``.
            options: ``json`` (a JSON body), ``files`` (multipart upload with ``data`` as text
                fields), ``headers``, ``query_params``, ``follow`` (follow redirects).
        """
        return await self._request(method, path, data=data, **options)

    async def get(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("GET", path, data, **options)

    async def head(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("HEAD", path, data, **options)

    async def options(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("OPTIONS", path, data, **options)

    async def post(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("POST", path, data, **options)

    async def put(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("PUT", path, data, **options)

    async def patch(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("PATCH", path, data, **options)

    async def delete(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return await self.request("DELETE", path, data, **options)

    def websocket_connect(
        self,
        path: str,
        subprotocols: Sequence[str] | None = None,
        headers: HeadersArg = None,
        timeout: float = 5.0,
    ) -> AsyncWebSocketSession:
        """A WebSocket session with the route at ``path``, opened by ``async with``.

        ::

            async with client.websocket_connect("/ws/chat", subprotocols=["chat.v1"]) as ws:
                await ws.send_text("hi")
                assert await ws.receive_text() == "..."

        Args:
            path: a path (``/ws/room?x=1``) or an absolute ``ws://``/``http://`` URL.
            subprotocols: offered in ``Sec-WebSocket-Protocol``; ``ws.subprotocol`` is the server's pick.
            headers: extra request headers (``Origin``, ``Authorization``...); cookies come from the jar.
            timeout: seconds the handshake, and each receive by default, may take.

        Raises (on entering):
            WebSocketRejected: the server refused the handshake (``status_code``, ``content``).
            WebSocketTimeout: it neither accepted nor refused within ``timeout``.
        """
        return AsyncWebSocketSession(self, path, subprotocols=subprotocols, headers=headers, timeout=timeout)


class Client(BaseClient):
    """A test client for plain (sync) tests.

    The dispatcher is async; the client runs it on an event loop of its own, closed by
    :meth:`close` (or leaving a ``with Client() as client:`` block, or garbage collection).
    Inside async code, use :class:`AsyncClient`: an event loop cannot be nested in a running one.
    """

    def __init__(self, handler: Handler | None = None, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._loop_thread: _LoopThread | None = None
        self._sessions: list[WebSocketSession] = []

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            # Closes the loop when the client is collected, so a forgotten close() leaks nothing.
            self._finalizer = weakref.finalize(self, close_loop, self._loop)
        return self._loop

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coroutine.close()
            raise RuntimeError("Client cannot be used inside a running event loop; use AsyncClient in async code.")
        if self._loop_thread is not None:
            return self._loop_thread.run(coroutine)
        return self._get_loop().run_until_complete(coroutine)

    def close(self) -> None:
        """Close open WebSocket sessions and the client's event loop (a later request opens a new one)."""
        for session in list(self._sessions):
            try:
                session.__exit__(None, None, None)
            except Exception:
                pass  # closing anyway: the test already ended
        if self._finalizer is not None:
            self._finalizer()

    def websocket_connect(
        self,
        path: str,
        subprotocols: Sequence[str] | None = None,
        headers: HeadersArg = None,
        timeout: float = 5.0,
    ) -> WebSocketSession:
        """A WebSocket session with the route at ``path``, opened by ``with``.

        ::

            with client.websocket_connect("/ws/myws") as ws:
                ws.send_text("hello")
                assert ws.receive_text() == "You sent hello"

        Arguments and errors as :meth:`AsyncClient.websocket_connect`.
        """
        session = AsyncWebSocketSession(self, path, subprotocols=subprotocols, headers=headers, timeout=timeout)
        return WebSocketSession(self, session)

    def _open_session(self, session: WebSocketSession) -> None:
        """Run the loop in a thread while sessions are open: the application keeps going between calls."""
        self._sessions.append(session)
        if self._loop_thread is None:
            self._loop_thread = _LoopThread(self._get_loop())

    def _end_session(self, session: WebSocketSession) -> None:
        if session in self._sessions:
            self._sessions.remove(session)
        if not self._sessions and self._loop_thread is not None:
            loop_thread, self._loop_thread = self._loop_thread, None
            loop_thread.stop()  # back to run_until_complete in the test's thread

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def request(self, method: str, path: str, data: Any = None, **options: Any) -> TestResponse:
        """Send one request; arguments as :meth:`AsyncClient.request`."""
        return self._run(self._request(method, path, data=data, **options))

    def get(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("GET", path, data, **options)

    def head(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("HEAD", path, data, **options)

    def options(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("OPTIONS", path, data, **options)

    def post(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("POST", path, data, **options)

    def put(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("PUT", path, data, **options)

    def patch(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("PATCH", path, data, **options)

    def delete(self, path: str, data: Any = None, **options: Any) -> TestResponse:
        return self.request("DELETE", path, data, **options)


class _LoopThread:
    """Runs a :class:`Client`'s event loop in a daemon thread while WebSocket sessions are open.

    Between two calls of a sync test the application must keep running, as behind a real
    server: a sync dwebsocket view's thread sends through the loop (and ``async_to_sync`` needs
    it running), timers fire, broadcasts reach other sessions. The test's thread hands each
    call over with ``run_coroutine_threadsafe``, which carries its context variables along.
    """

    # The loop thread starts at once; this bounds the wait for it anyway.
    _START_TIMEOUT = 5.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        started = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(started,), name="duck-test-client-loop", daemon=True)
        self._thread.start()
        if not started.wait(self._START_TIMEOUT):
            raise RuntimeError("The test client's event loop thread did not start.")

    def _main(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(started.set)
        try:
            self.loop.run_forever()
        finally:
            asyncio.set_event_loop(None)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(self._START_TIMEOUT)
