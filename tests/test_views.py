"""Class-based views: sync and async handlers mixed, each run the right way; broken classes fail at load."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from duck.cli.project import check_project
from duck.exceptions import ImproperlyConfigured
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse, StreamingResponse
from duck.test import Client, override_settings
from duck.urls import path
from duck.views import View

ROOT = Path(__file__).resolve().parents[1]


def where() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "pool" if threading.current_thread().name.startswith("duck-sync") else "elsewhere"
    return "loop"


class Mixed(View):
    def get(self, request: Request) -> HttpResponse:
        return PlainTextResponse(f"get {where()}")

    async def post(self, request: Request) -> HttpResponse:
        return PlainTextResponse(f"post {where()}", status=201)

    def put(self, request: Request, id: int) -> HttpResponse:
        return JsonResponse({"put": where(), "id": id})


class AllSync(View):
    def get(self, request: Request) -> HttpResponse:
        return PlainTextResponse(f"get {where()}")


class AllAsync(View):
    async def get(self, request: Request) -> HttpResponse:
        return PlainTextResponse(f"get {where()}")


ROUTES = [
    path("/mixed", Mixed),
    path("/mixed/<int:id>", Mixed.as_view()),
    path("/sync", AllSync),
    path("/async", AllAsync),
]


@pytest.fixture
def client():
    with override_settings(ROOT_URLCONF=ROUTES, MIDDLEWARE=[]), Client() as client:
        yield client


# -- each handler runs the right way ----------------------------------------------------------------
def test_a_sync_handler_of_a_mixed_class_runs_in_the_thread_pool(client):
    assert client.get("/mixed").text == "get pool"


def test_an_async_handler_of_a_mixed_class_runs_on_the_loop(client):
    response = client.post("/mixed")
    assert (response.status_code, response.text) == (201, "post loop")


def test_path_parameters_reach_a_sync_handler_of_a_mixed_class(client):
    assert client.put("/mixed/7").json() == {"put": "pool", "id": 7}


def test_head_options_and_405_of_a_mixed_class(client):
    head = client.head("/mixed")
    assert head.status_code == 200 and head.content == b""
    assert client.options("/mixed").headers["allow"] == "GET, POST, PUT, OPTIONS, HEAD"
    refused = client.delete("/mixed")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS, POST, PUT"


def test_all_sync_and_all_async_classes_run_as_before(client):
    assert client.get("/sync").text == "get pool"
    assert client.get("/async").text == "get loop"
    assert client.options("/async").headers["allow"] == "GET, OPTIONS, HEAD"


def test_the_view_of_a_class_tells_its_kind():
    assert Mixed.view_is_async() and AllAsync.view_is_async() and not AllSync.view_is_async()
    assert asyncio.iscoroutinefunction(Mixed.as_view())
    assert not asyncio.iscoroutinefunction(AllSync.as_view())


async def test_a_mixed_view_called_directly_gives_each_handler_its_place():
    view = Mixed.as_view()
    assert (await view(Request("GET", "/mixed"))).content == b"get pool"
    assert (await view(Request("POST", "/mixed"))).content == b"post loop"


# -- a broken class fails when the URL conf loads -----------------------------------------------------
def refused(view_class: type, **initkwargs: object) -> str:
    with pytest.raises(ImproperlyConfigured) as info:
        path("/x", view_class.as_view(**initkwargs) if initkwargs else view_class)
    return str(info.value)


def test_a_class_without_handlers():
    class Empty(View):
        pass

    message = refused(Empty)
    assert "Empty defines no handler" in message and "def get(self, request)" in message


def test_a_handler_that_is_not_callable():
    class Constant(View):
        get = "hello"

    assert "Constant.get is str 'hello', not a handler: define 'def get(self, request)" in refused(Constant)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["get", "fetch"], "names 'fetch', which is not an HTTP method;"),
        (["GET"], "names 'GET', which is not an HTTP method (write 'get')"),
        ("get", "must be a list of lower-case method names"),
    ],
)
def test_http_method_names_with_unknown_methods(names, expected):
    class Odd(View):
        http_method_names = names

        def get(self, request):
            return PlainTextResponse("x")

    assert f"Odd.http_method_names {expected}" in refused(Odd)


def test_a_websocket_view_written_as_a_view():
    class Chat(View):
        async def on_receive(self, data, opcode):
            pass

    message = refused(Chat)
    assert "Chat defines on_receive(), a WebSocket handler" in message
    assert "subclass duck.contrib.websockets.WebSocketView instead" in message


def test_as_view_with_an_unknown_attribute():
    message = refused(AllSync, tempalte_name="x.html")
    assert "AllSync.as_view() got 'tempalte_name', which is not an attribute of AllSync" in message
    assert "check the spelling" in message


def test_as_view_with_a_handler_as_argument():
    assert "define 'def post(self, request)' on the class" in refused(AllSync, post=lambda request: None)


def test_a_class_that_is_not_a_view():
    class Plain:
        pass

    with pytest.raises(ImproperlyConfigured, match=r"Plain is a class without as_view\(\): make it a subclass"):
        path("/x", Plain)


def test_a_handler_that_cannot_take_the_request():
    class NoRequest(View):
        def get(self):
            return PlainTextResponse("x")

    assert "NoRequest.get cannot take the request: define it as 'def get(self, request, ...)'" in refused(NoRequest)


def test_a_generator_handler():
    class Streams(View):
        async def get(self, request):
            yield b"chunk"

    assert "Streams.get is a generator function: return a response, e.g. StreamingResponse" in refused(Streams)


def test_static_and_class_methods_and_a_custom_dispatch_are_fine():
    class Static(View):
        @staticmethod
        def get(request):
            return PlainTextResponse("static")

        @classmethod
        def post(cls, request):
            return PlainTextResponse("class")

    class Custom(View):
        def dispatch(self, request, *args, **kwargs):
            return PlainTextResponse("custom")

    with override_settings(ROOT_URLCONF=[path("/s", Static), path("/c", Custom)]), Client() as client:
        assert client.get("/s").text == "static" and client.post("/s").text == "class"
        assert client.get("/c").text == "custom"


def test_streaming_from_a_handler_still_works():
    class Stream(View):
        def get(self, request):
            return StreamingResponse(iter([b"a", b"b"]))

    with override_settings(ROOT_URLCONF=[path("/s", Stream)]), Client() as client:
        assert client.get("/s").content == b"ab"


# -- ...at every front door's start, never as a 500 ---------------------------------------------------
BROKEN = "tests.apps.broken_view.settings"
TYPO_MESSAGE = "Typo defines no handler"


def test_check_project_refuses_the_broken_class():
    with override_settings(ROOT_URLCONF="tests.apps.broken_view.urls"), pytest.raises(ImproperlyConfigured) as info:
        check_project()
    assert TYPO_MESSAGE in str(info.value)


@pytest.mark.parametrize(
    "code",
    [
        "from duck.wsgi import get_wsgi_application\nget_wsgi_application()",
        "from duck.asgi import get_asgi_application\nget_asgi_application()",
        # Refused before binding: had the check let the project through, the server would not end (timeout).
        f"from duck.cli import main\nraise SystemExit(main(['runserver', '--settings', '{BROKEN}']))",
    ],
    ids=["wsgi", "asgi", "runserver"],
)
def test_every_front_door_refuses_the_broken_class_at_start(code):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DUCK_SETTINGS_MODULE": BROKEN},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert TYPO_MESSAGE in result.stderr
    assert "Typo" in result.stderr and "def get(self, request)" in result.stderr
