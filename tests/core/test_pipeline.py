"""The flat pipeline: every middleware kind in Django's order, with short-circuits and errors."""

from __future__ import annotations

import threading

import pytest

from duck.conf import settings
from duck.core.handler import Handler
from duck.http.datastructures import Headers
from duck.http.request import Request
from tests.core import middleware as mw

M = "tests.core.middleware."
# Outermost first: a Django-style sync function, hooks sync and async, an async wrapper, view hooks.
EVERY_KIND = [
    M + "django_sync",
    M + "SyncHooks",
    M + "OuterViewing",
    M + "django_async",
    M + "AsyncHooks",
    M + "InnerViewing",
]


@pytest.fixture(autouse=True)
def core_settings():
    with settings.override(ROOT_URLCONF="tests.core.urls_core", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        yield


async def run(query: str = "", path: str = "/logged/7", middleware: list[str] = EVERY_KIND):
    request = Request("GET", path, query_string=query, headers=Headers({"host": "testserver"}))
    response = await Handler(middleware).handle(request)
    return request, response


async def test_every_kind_runs_in_order_around_the_view():
    request, response = await run()
    assert response.content == b"logged 7"
    assert request.log == [
        "sync-wrapper in",
        "sync-hooks request",
        "async-wrapper in",
        "async-hooks request",
        "OuterViewing view {'id': 7}",  # process_view: outermost first, after every process_request
        "InnerViewing view {'id': 7}",
        "view",
        "async-hooks response",
        "async-wrapper out",
        "sync-hooks response",
        "sync-wrapper out",
    ]
    assert response["x-sync-hooks"] == "1" and response["x-async-hooks"] == "200"


async def test_sync_hooks_run_in_the_thread_pool_and_async_hooks_on_the_loop():
    request, _ = await run()
    assert request.async_hook_thread == threading.get_ident()
    assert request.sync_hook_thread != threading.get_ident()


async def test_process_view_and_process_exception_are_called_in_place_sync_or_async():
    request, _ = await run("raise=view")
    assert request.view_hook_threads == [threading.get_ident()] * 2
    assert request.exception_hook_thread == threading.get_ident()


async def test_a_process_request_response_skips_the_inside_but_outer_responses_run():
    request, response = await run("stop=sync")
    assert (response.status_code, response.content) == (418, b"stopped by sync hooks")
    # its own process_response and the outer wrapper still run; nothing inside it does
    assert request.log == ["sync-wrapper in", "sync-hooks request", "sync-hooks response", "sync-wrapper out"]
    assert response["x-sync-hooks"] == "1"


async def test_a_raising_process_request_becomes_a_response_for_the_outer_middleware():
    request, response = await run("raise=request")
    assert response.status_code == 403
    assert "x-async-hooks" not in response  # its own process_response is skipped, as Django's
    assert response["x-sync-hooks"] == "1"
    assert request.log[-3:] == ["async-wrapper out", "sync-hooks response", "sync-wrapper out"]


async def test_a_raising_process_response_becomes_a_500_the_outer_middleware_see():
    request, response = await run("raise=response")
    assert response.status_code == 500
    assert response["x-sync-hooks"] == "1"
    assert "view" in request.log


async def test_process_view_can_answer_instead_of_the_view():
    request, response = await run("stop=OuterViewing")
    assert response.content == b"view skipped by OuterViewing"
    assert "view" not in request.log and "InnerViewing view {'id': 7}" not in request.log
    assert response["x-async-hooks"] == "200"  # every process_response still runs


async def test_process_exception_runs_innermost_first_and_the_first_response_wins():
    request, response = await run("raise=view&rescue=InnerViewing")
    assert (response.status_code, response.content) == (299, b"rescued by InnerViewing")
    assert "OuterViewing exception ValueError" not in request.log
    request, response = await run("raise=view&rescue=OuterViewing")
    assert response.content == b"rescued by OuterViewing"
    inner, outer = (request.log.index(f"{name} exception ValueError") for name in ("InnerViewing", "OuterViewing"))
    assert inner < outer


async def test_an_unrescued_view_error_is_a_500_seen_by_every_middleware():
    request, response = await run("raise=view")
    assert response.status_code == 500
    assert response["x-async-hooks"] == "500"
    assert request.log[-1] == "sync-wrapper out"


async def test_process_exception_is_not_called_for_a_missing_route():
    request, response = await run(path="/nowhere")
    assert response.status_code == 404
    assert not any("exception" in event for event in request.log)


async def test_a_hook_that_returns_no_response_is_a_500():
    _, response = await run(middleware=[M + "ReturnsNothing"])
    assert response.status_code == 500


async def test_the_chain_is_built_once_for_every_request():
    mw.Counted.built = 0
    handler = Handler([M + "Counted", M + "SyncHooks"])
    for _ in range(3):
        response = await handler.handle(Request("GET", "/sync", headers=Headers({"host": "testserver"})))
        assert response["x-sync-hooks"] == "1"
    assert mw.Counted.built == 1


async def test_a_mixin_called_directly_runs_its_hooks_around_get_response():
    request = Request("GET", "/logged/1", headers=Headers({"host": "testserver"}))

    async def inner(request):
        return await Handler([]).handle(request)

    response = await mw.AsyncHooks(inner)(request)
    assert response["x-async-hooks"] == "200"
    assert request.log == ["async-hooks request", "view", "async-hooks response"]


def test_wsgi_inline_is_possible_only_when_every_part_runs_without_a_loop():
    def request(path: str) -> Request:
        return Request("GET", path, headers=Headers({"host": "testserver"}))

    loop_free = Handler([M + "django_sync", M + "SyncHooks", "duck.middleware.security.SecurityMiddleware"])
    assert loop_free.can_run_inline(request("/sync"))
    assert not loop_free.can_run_inline(request("/async/1"))  # an async view needs the loop
    assert loop_free.can_run_inline(request("/nowhere"))  # 404: no view runs
    assert not Handler([M + "django_async"]).can_run_inline(request("/sync"))  # it may await anything
