"""Development serving is an ordinary middleware the front doors put innermost: StaticFilesMiddleware."""

from __future__ import annotations

import pytest

from duck.conf import settings
from duck.core.handler import Handler
from duck.exceptions import Http404, ImproperlyConfigured, MethodNotAllowed, MiddlewareNotUsed
from duck.http.response import HttpResponse
from duck.staticfiles import StaticFilesMiddleware, should_serve_static
from duck.test import Client
from duck.urls import path
from tests.staticfiles.conftest import body_of, make_request

NOT_STATIC = HttpResponse(b"the next layer")
ROUTES = [path("/", lambda request: HttpResponse(b"home"))]  # no route under /static/


async def next_layer(request):
    return NOT_STATIC


async def through_middleware(path: str, method: str = "GET", **headers: str) -> HttpResponse:
    return await StaticFilesMiddleware(next_layer)(make_request(path, method, **headers))


@pytest.mark.parametrize(
    ("debug", "serve_static", "expected"),
    [(True, None, True), (False, None, False), (False, True, True), (True, False, False)],
)
def test_serve_static_defaults_to_debug(debug, serve_static, expected):
    with settings.override(DEBUG=debug, SERVE_STATIC=serve_static):
        assert should_serve_static(make_request("/static/x")) is expected
        assert should_serve_static() is expected


async def test_static_path_is_served():
    response = await through_middleware("/static/css/site.css")
    assert response.status_code == 200
    assert body_of(response) == b"body { color: red; }"


@pytest.mark.parametrize("path", ["/", "/css/site.css", "/staticfoo/css/site.css", "/static"])
async def test_paths_outside_static_url_go_to_the_next_layer(path):
    assert await through_middleware(path) is NOT_STATIC


def test_the_middleware_leaves_the_chain_when_serving_is_off():
    with settings.override(DEBUG=False), pytest.raises(MiddlewareNotUsed):
        StaticFilesMiddleware(next_layer)


async def test_serving_can_be_forced_on_without_debug():
    with settings.override(DEBUG=False, SERVE_STATIC=True):
        assert body_of(await through_middleware("/static/css/site.css")) == b"body { color: red; }"


def test_static_url_on_another_host_is_not_served_here():
    with settings.override(STATIC_URL="https://cdn.example.com/static/"), pytest.raises(MiddlewareNotUsed):
        StaticFilesMiddleware(next_layer)


async def test_static_url_without_trailing_slash_still_matches_folders_only():
    with settings.override(STATIC_URL="/assets"):
        body_of(await through_middleware("/assets/css/site.css"))
        assert await through_middleware("/assetsx/css/site.css") is NOT_STATIC


@pytest.mark.parametrize("static_url", ["/", "static/"])
def test_static_url_that_would_hide_routes_is_refused(static_url):
    with settings.override(STATIC_URL=static_url), pytest.raises(ImproperlyConfigured, match="STATIC_URL"):
        StaticFilesMiddleware(next_layer)


@pytest.mark.parametrize("path", ["/static/missing.css", "/static/../secret.txt", "/static/%2e%2e/secret.txt"])
async def test_missing_and_unsafe_files_are_404(path):
    with pytest.raises(Http404):
        await through_middleware(path)


async def test_wrong_method_is_405_with_allow():
    with pytest.raises(MethodNotAllowed) as info:
        await through_middleware("/static/css/site.css", "POST")
    assert info.value.headers == [("Allow", "GET, HEAD")]


async def test_websocket_requests_are_left_to_the_dispatcher():
    response = await through_middleware("/static/css/site.css", upgrade="websocket", connection="Upgrade")
    assert response is NOT_STATIC


# -- in the chain ----------------------------------------------------------------------------------
def test_the_front_doors_serve_static_files_and_errors_become_responses():
    with Client() as client:  # the test client's default handler is the one every front door uses
        assert client.get("/static/css/site.css").content == b"body { color: red; }"
        assert client.get("/static/missing.css").status_code == 404
        response = client.post("/static/css/site.css")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"


def test_a_handler_without_the_middleware_serves_no_static_file():
    with settings.override(ROOT_URLCONF=ROUTES), Client(handler=Handler()) as client:
        assert client.get("/static/css/site.css").status_code == 404


def test_turning_debug_off_takes_the_middleware_out_of_the_chain():
    with Client() as client:
        assert client.get("/static/css/site.css").status_code == 200
        with settings.override(DEBUG=False, ROOT_URLCONF=ROUTES):
            assert client.get("/static/css/site.css").status_code == 404


def test_middleware_listed_in_settings_is_not_added_twice():
    built = []

    class Counting(StaticFilesMiddleware):
        def __init__(self, get_response):
            built.append(self)
            super().__init__(get_response)

    with settings.override(MIDDLEWARE=[Counting]), Client(handler=Handler(inner_middleware=[Counting])) as client:
        assert client.get("/static/css/site.css").status_code == 200
    assert len(built) == 1
