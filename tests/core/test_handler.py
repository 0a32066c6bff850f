"""The dispatcher: resolve, middleware onion, sync/async views, and exceptions mapped in one place."""

from __future__ import annotations

import logging

import pytest

from duck.conf import settings
from duck.core.handler import Handler
from duck.exceptions import ImproperlyConfigured
from duck.http.datastructures import Headers
from duck.http.request import Request

URLCONF = "tests.core.urls_core"


def make_request(method: str = "GET", path: str = "/", host: str = "testserver", **kwargs) -> Request:
    return Request(method, path, headers=Headers({"host": host}), **kwargs)


@pytest.fixture(autouse=True)
def core_settings():
    with settings.override(ROOT_URLCONF=URLCONF, DEBUG=False, ALLOWED_HOSTS=["testserver"], MIDDLEWARE=[]):
        yield


async def dispatch(method: str = "GET", path: str = "/", **kwargs):
    return await Handler().handle(make_request(method, path, **kwargs))


async def test_sync_view_runs_in_the_thread_pool_not_the_loop():
    response = await dispatch("GET", "/thread")
    assert response.status_code == 200
    assert response.content.startswith(b"duck-sync")


async def test_async_view_is_awaited_with_converted_params():
    response = await dispatch("GET", "/async/42")
    assert response.content == b'{"id":42,"type":"int"}'


async def test_class_based_view_registered_as_class_dispatches_by_method():
    assert (await dispatch("GET", "/items/7")).content == b"item 7"
    posted = await dispatch("POST", "/items/7")
    assert (posted.status_code, posted.content) == (201, b"posted 7")


async def test_class_based_view_gives_405_with_allow_for_missing_handler():
    response = await dispatch("DELETE", "/items/7")
    assert response.status_code == 405
    assert set(response["allow"].split(", ")) >= {"GET", "POST", "HEAD", "OPTIONS"}


async def test_async_class_based_view():
    assert (await dispatch("GET", "/async-items")).content == b"async get"


async def test_head_falls_back_to_get_in_class_based_views():
    assert (await dispatch("HEAD", "/items/1")).status_code == 200


async def test_route_methods_give_405_with_allow_header():
    response = await dispatch("POST", "/get-only")
    assert response.status_code == 405
    assert response["allow"] == "GET, HEAD"


async def test_unknown_path_is_404_without_details_when_debug_off():
    response = await dispatch("GET", "/nowhere")
    assert response.status_code == 404
    assert b"/sync" not in response.content


async def test_unknown_path_lists_tried_patterns_when_debug_on():
    with settings.override(DEBUG=True):
        response = await dispatch("GET", "/nowhere")
    assert response.status_code == 404
    assert b"/async/&lt;int:id&gt;" in response.content


@pytest.mark.parametrize(
    ("kind", "status"), [("404", 404), ("403", 403), ("400", 400), ("suspicious", 400), ("boom", 500)]
)
async def test_exceptions_map_to_statuses(kind, status):
    response = await dispatch("GET", f"/raise/{kind}")
    assert response.status_code == status


async def test_500_never_leaks_internals_with_debug_off(caplog):
    with caplog.at_level(logging.ERROR, logger="duck.request"):
        response = await dispatch("GET", "/raise/boom")
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content
    assert "secret internal detail" in caplog.text  # but the operator sees it in the log


async def test_500_shows_traceback_with_debug_on():
    with settings.override(DEBUG=True):
        response = await dispatch("GET", "/raise/boom")
    assert b"Traceback" in response.content and b"secret internal detail" in response.content


@pytest.mark.parametrize("path", ["/none", "/string"])
async def test_view_returning_non_response_is_a_500_naming_the_view(path, caplog):
    with settings.override(DEBUG=True):
        response = await dispatch("GET", path)
    assert response.status_code == 500
    assert b"tests.core.urls_core.returns_" in response.content
    assert b"didn&#x27;t return an HttpResponse" in response.content


async def test_disallowed_host_is_400():
    response = await dispatch("GET", "/sync", host="evil.example")
    assert response.status_code == 400


async def test_append_slash_redirects_get():
    response = await dispatch("GET", "/slash", query_string="a=1")
    assert response.status_code == 301
    assert response["location"] == "/slash/?a=1"


async def test_middleware_onion_mixes_sync_and_async():
    middleware = ["tests.core.middleware.sync_tagger", "tests.core.middleware.async_tagger"]
    request = make_request("GET", "/sync")
    response = await Handler(middleware).handle(request)
    assert response.content == b"sync GET"
    assert request.seen == ["sync", "async"]  # outermost first
    assert response["x-sync"] == "1" and response["x-async"] == "1"


async def test_middleware_can_short_circuit():
    response = await Handler(["tests.core.middleware.ShortCircuit"]).handle(make_request("GET", "/blocked"))
    assert (response.status_code, response.content) == (403, b"blocked by middleware")


async def test_view_errors_reach_middleware_as_responses():
    response = await Handler(["tests.core.middleware.async_tagger"]).handle(make_request("GET", "/raise/404"))
    assert response.status_code == 404
    assert response["x-async"] == "1"


async def test_bad_middleware_setting_is_a_500_logged_as_improperly_configured(caplog):
    response = await Handler(["tests.core.middleware.nope"]).handle(make_request("GET", "/sync"))
    assert response.status_code == 500
    assert "has no attribute 'nope'" in caplog.text


def test_non_callable_middleware_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="non-callable"):
        Handler(["tests.core.middleware.broken_factory"])._build_pipeline()


async def test_setting_change_rebuilds_the_chain():
    handler = Handler()
    assert "x-async" not in await handler.handle(make_request("GET", "/sync"))
    with settings.override(MIDDLEWARE=["tests.core.middleware.async_tagger"]):
        assert (await handler.handle(make_request("GET", "/sync")))["x-async"] == "1"
