"""The WSGI front door, checked in-process by PEP 3333's reference validator (wsgiref.validate)."""

from __future__ import annotations

import asyncio
import gc
import io
import threading
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from duck import wsgi as wsgi_module
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.http.response import HttpResponse, PlainTextResponse
from duck.test import encode_multipart, override_settings
from duck.urls import path
from duck.wsgi import WEBSOCKET_OVER_WSGI_MESSAGE, WSGIHandler, get_wsgi_application, request_from_environ
from tests.apps.sample import views


class Result:
    """What a WSGI server saw: the status line, the headers, and each body chunk."""

    def __init__(self, status: str, headers: list[tuple[str, str]], chunks: list[bytes]) -> None:
        self.status = status
        self.status_code = int(status[:3])
        self.headers = {name.lower(): value for name, value in headers}
        self.header_list = headers
        self.chunks = chunks
        self.body = b"".join(chunks)


def make_environ(
    method: str = "GET", path: str = "/hello", query: str = "", body: bytes = b"", **extra: Any
) -> dict[str, Any]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)  # HTTP_HOST and SERVER_NAME are 127.0.0.1, allowed by the sample settings
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path.encode("utf-8").decode("latin-1"),  # PEP 3333: bytes as latin-1 "native strings"
        QUERY_STRING=query,
        SERVER_PROTOCOL="HTTP/1.1",
    )
    environ["wsgi.input"] = io.BytesIO(body)
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    return environ


def call(environ: dict[str, Any], app: Any = None, validate: bool = True) -> Result:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append((status, headers))
        return lambda data: None

    app = app or get_wsgi_application()
    result = (validator(app) if validate else app)(environ, start_response)
    try:
        chunks = list(result)
    finally:
        result.close()
    return Result(seen[0][0], seen[0][1], chunks)


def request(method: str = "GET", path: str = "/hello", **kwargs: Any) -> Result:
    return call(make_environ(method, path, **kwargs))


# -- routes through the validator ------------------------------------------------------------------
def test_sync_view_status_line_has_reason_phrase_and_headers():
    result = request("GET", "/hello")
    assert result.status == "200 OK"
    assert result.header_list == [("content-type", "text/plain; charset=utf-8"), ("content-length", "12")]
    assert result.body == b"Hello, duck!"


def test_path_info_is_redecoded_as_utf8():
    assert request("GET", "/greet/café").body == "Hello, café!".encode()


def test_async_view_with_int_param():
    result = request("GET", "/items/3")
    assert result.headers["content-type"] == "application/json"
    assert result.body == b'{"id":3,"type":"int"}'


def test_class_based_view_post_reads_the_form_body():
    result = request("POST", "/things", body=b"name=Donald", CONTENT_TYPE="application/x-www-form-urlencoded")
    assert result.status == "201 Created"
    assert result.body == b'{"created":{"name":"Donald"}}'


def test_json_echo_reads_content_type_and_body():
    result = request("POST", "/echo-json", body=b'{"a":1}', CONTENT_TYPE="application/json")
    assert result.body == b'{"received":{"a":1}}'


def test_multipart_upload():
    body, content_type = encode_multipart({"title": "T"}, {"file": ("d.txt", b"quack")})
    result = request("POST", "/upload", body=body, CONTENT_TYPE=content_type)
    assert result.status_code == 200
    assert b'"name":"d.txt","size":5' in result.body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/missing", "404 Not Found"),
        ("GET", "/boom", "500 Internal Server Error"),
        ("GET", "/nowhere", "404 Not Found"),
    ],
)
def test_errors_keep_their_status_and_hide_internals(method, path, status):
    result = request(method, path)
    assert result.status == status
    assert b"secret internals" not in result.body


def test_wrong_method_is_405_with_allow():
    result = request("POST", "/only-get")
    assert result.status == "405 Method Not Allowed"
    assert result.headers["allow"] == "GET, HEAD"


def test_head_sends_headers_without_body():
    result = request("HEAD", "/hello")
    assert result.headers["content-length"] == "12"
    assert result.body == b""


def test_cookie_and_redirect_headers():
    assert "; Max-Age=3600; " in request("GET", "/cookies/set").headers["set-cookie"]
    redirect = request("GET", "/old")
    assert (redirect.status, redirect.headers["location"]) == ("302 Found", "/hello")


def test_query_string_and_cookies_reach_the_view():
    assert request("GET", "/echo", query="q=%C3%A9").body.startswith(
        b'{"method":"GET","path":"/echo","query":{"q":"\xc3\xa9"}'
    )
    assert request("GET", "/cookies", HTTP_COOKIE="a=1; b=2").body == b'{"a":"1","b":"2"}'


# -- streaming ---------------------------------------------------------------------------------------
def test_streaming_response_is_sent_chunk_by_chunk():
    result = request("GET", "/stream")
    assert result.chunks == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert "content-length" not in result.headers


def test_async_stream_is_driven_from_the_sync_server():
    assert request("GET", "/ticks", query="limit=2").chunks == [b"tick 0\n", b"tick 1\n"]


def test_closing_mid_stream_stops_the_generator():
    before = len(views.TICKS_FINISHED)
    result = validator(get_wsgi_application())(make_environ("GET", "/ticks"), lambda status, headers: None)
    iterator = iter(result)
    assert next(iterator) == b"tick 0\n"
    assert next(iterator) == b"tick 1\n"
    result.close()  # what a server does when the client goes away
    assert views.TICKS_FINISHED[before:] == [2]


# -- request bodies and limits ---------------------------------------------------------------------
class UnreadableInput:
    """A wsgi.input that fails the test if the body is read."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body must not be read")

    def readline(self, size: int = -1) -> bytes:
        raise AssertionError("the body must not be read")

    def readlines(self, hint: int = -1) -> list[bytes]:
        raise AssertionError("the body must not be read")

    def __iter__(self) -> Any:
        raise AssertionError("the body must not be read")


def test_body_above_server_max_body_size_is_refused_unread():
    environ = make_environ("POST", "/echo", CONTENT_LENGTH="1000001")
    environ["wsgi.input"] = UnreadableInput()
    result = call(environ)
    assert result.status == "413 Content Too Large"
    assert b"SERVER_MAX_BODY_SIZE" in result.body


def test_terminated_input_without_length_is_read_to_its_end_within_the_limit():
    environ = make_environ("POST", "/echo", CONTENT_TYPE="text/plain")
    environ.update({"wsgi.input": io.BytesIO(b"chunked body"), "wsgi.input_terminated": True})
    assert b'"body":"chunked body"' in call(environ).body
    with override_settings(SERVER_MAX_BODY_SIZE=5):
        environ.update({"wsgi.input": io.BytesIO(b"chunked body")})
        assert call(environ).status_code == 413


def test_body_without_length_is_not_read():
    environ = make_environ("POST", "/echo")
    environ["wsgi.input"] = UnreadableInput()
    assert b'"body":""' in call(environ).body


@pytest.mark.parametrize("length", ["abc", "-1", "١٢"])
def test_malformed_content_length_is_400(length):
    # The validator refuses such an environ itself; a lenient server could still pass one on.
    result = call(make_environ("POST", "/echo", CONTENT_LENGTH=length), validate=False)
    assert result.status == "400 Bad Request"


def test_body_shorter_than_its_length_is_400():
    environ = make_environ("POST", "/echo", CONTENT_LENGTH="10")
    environ["wsgi.input"] = io.BytesIO(b"short")
    assert call(environ).status_code == 400


def test_path_that_is_not_utf8_is_400():
    environ = make_environ("GET", "/x")
    environ["PATH_INFO"] = b"/caf\xe9".decode("latin-1")
    assert call(environ).status_code == 400


# -- WebSocket routes ----------------------------------------------------------------------------
def test_websocket_route_through_wsgi_is_501_with_an_explanation():
    result = request("GET", "/ws/plain", HTTP_UPGRADE="websocket", HTTP_CONNECTION="Upgrade")
    assert result.status == "501 Not Implemented"
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert result.body.decode() == WEBSOCKET_OVER_WSGI_MESSAGE
    assert "uvicorn" in WEBSOCKET_OVER_WSGI_MESSAGE and "duck runserver" in WEBSOCKET_OVER_WSGI_MESSAGE


def test_websocket_route_without_upgrade_is_426():
    assert request("GET", "/ws/plain").status == "426 Upgrade Required"


# -- environ → Request, resources, loops -------------------------------------------------------
def test_request_from_environ_maps_every_field():
    environ = make_environ(
        "PUT",
        "/items/é",
        query="a=1",
        body=b"data",
        CONTENT_TYPE="text/plain",
        SCRIPT_NAME="/app",
        REMOTE_ADDR="10.0.0.7",
        REMOTE_PORT="5123",
        SERVER_NAME="example.com",
        SERVER_PORT="8443",
        SERVER_PROTOCOL="HTTP/1.0",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    environ["wsgi.url_scheme"] = "https"
    request = request_from_environ(environ)
    assert (request.method, request.path, request.query_string) == ("PUT", "/items/é", "a=1")
    assert request.root_path == "/app"
    assert request._body == b"data"
    assert request.headers["content-type"] == "text/plain"
    assert request.headers["content-length"] == "4"
    assert request.headers["x-forwarded-for"] == "1.2.3.4"
    assert request.headers["host"] == "127.0.0.1"
    assert request.client == ("10.0.0.7", 5123)
    assert request.server == ("example.com", 8443)
    assert (request.scheme, request.http_version) == ("https", "1.0")


class RecordingHandler:
    """A stand-in dispatcher that records the requests it saw and the loops it ran on."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.responses: list[HttpResponse] = []
        self.loops: list[Any] = []

    def can_run_inline(self, request: Request) -> bool:
        return False  # it records the loop it runs on

    async def handle(self, request: Request) -> HttpResponse:
        import asyncio

        self.loops.append(asyncio.get_running_loop())
        closed: list[str] = []
        request.close = lambda: closed.append("request")  # type: ignore[method-assign]
        response = PlainTextResponse("ok")
        response.close = lambda: closed.append("response")  # type: ignore[method-assign]
        response.closed = closed  # type: ignore[attr-defined]
        self.requests.append(request)
        self.responses.append(response)
        return response


def test_close_releases_response_then_request():
    handler = RecordingHandler()
    call(make_environ(), app=WSGIHandler(handler))  # type: ignore[arg-type]
    assert handler.responses[0].closed == ["response", "request"]  # type: ignore[attr-defined]


def test_one_event_loop_per_thread_is_reused_and_closed_with_the_thread():
    handler = RecordingHandler()
    app = WSGIHandler(handler)  # type: ignore[arg-type]
    call(make_environ(), app=app)
    call(make_environ(), app=app)
    thread = threading.Thread(target=call, args=(make_environ(), app))
    thread.start()
    thread.join(timeout=10)
    main_loop, again, other = handler.loops
    assert main_loop is again
    assert other is not main_loop
    del thread
    gc.collect()
    assert other.is_closed()
    assert not main_loop.is_closed()


class StatusHandler:
    """A stand-in dispatcher answering every request with one status."""

    def __init__(self, status: int) -> None:
        self.status = status

    def can_run_inline(self, request: Request) -> bool:
        return True

    async def handle(self, request: Request) -> HttpResponse:
        return HttpResponse(b"ignored", status=self.status)


@pytest.mark.parametrize("status", [204, 304])
def test_bodiless_statuses_send_neither_body_nor_content_type(status):
    result = call(make_environ(), app=WSGIHandler(StatusHandler(status)))  # type: ignore[arg-type]
    assert result.status_code == status
    assert "content-type" not in result.headers  # the validator refuses one on these statuses
    assert result.body == b""


def test_get_wsgi_application_refuses_a_broken_url_conf():
    with override_settings(ROOT_URLCONF="tests.apps.sample.no_such_urls"), pytest.raises(ImproperlyConfigured):
        get_wsgi_application()


# -- sync views on the server's own thread, without an event loop ---------------------------------------
def where(request: Request) -> HttpResponse:
    """Says which thread ran it and whether an event loop was running there."""
    try:
        asyncio.get_running_loop()
        loop = "loop"
    except RuntimeError:
        loop = "no loop"
    return PlainTextResponse(f"{threading.get_ident()} {loop}")


async def async_where(request: Request) -> HttpResponse:
    await asyncio.sleep(0)  # a real suspension: this needs the loop
    return PlainTextResponse(f"{threading.get_ident()} async")


LOOP_FREE_MIDDLEWARE = [
    "duck.middleware.security.SecurityMiddleware",
    "duck.middleware.compression.CompressionMiddleware",
    "tests.core.middleware.django_sync",
    "tests.core.middleware.SyncHooks",
]


def call_on_new_thread(path: str) -> tuple[Result, int, bool]:
    """(result, the server thread's id, whether that thread got an event loop)."""
    seen: list[Any] = []

    def serve() -> None:
        seen.append(call(make_environ("GET", path)))
        seen.append(threading.get_ident())
        seen.append(wsgi_module._thread_loops.holder is not None)

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(timeout=10)
    return seen[0], seen[1], seen[2]


@pytest.fixture
def where_routes():
    routes = [path("/where", where), path("/async-where", async_where)]
    with override_settings(ROOT_URLCONF=routes, MIDDLEWARE=LOOP_FREE_MIDDLEWARE):
        call(make_environ("GET", "/where"))  # ON_STARTUP ran (once per process, on a loop) before the threads
        yield


def test_sync_view_runs_on_the_server_thread_and_no_event_loop_is_created(where_routes):
    result, server_thread, got_loop = call_on_new_thread("/where")
    assert result.body == f"{server_thread} no loop".encode()
    assert result.headers["x-content-type-options"] == "nosniff"  # the middleware ran, inline too
    assert result.headers["x-sync-hooks"] == "1"
    assert not got_loop


def test_async_view_still_runs_on_the_threads_event_loop(where_routes):
    result, server_thread, got_loop = call_on_new_thread("/async-where")
    assert result.body == f"{server_thread} async".encode()
    assert result.headers["x-sync-hooks"] == "1"
    assert got_loop


def test_an_async_middleware_that_may_need_the_loop_keeps_sync_views_in_the_pool(where_routes):
    with override_settings(MIDDLEWARE=[*LOOP_FREE_MIDDLEWARE, "tests.core.middleware.django_async"]):
        result, server_thread, got_loop = call_on_new_thread("/where")
    assert result.body.endswith(b" loop") and not result.body.startswith(str(server_thread).encode())
    assert got_loop
