"""ON_STARTUP / ON_SHUTDOWN through the ASGI lifespan and the WSGI adapter (runserver: tests/interop)."""

from __future__ import annotations

import asyncio
import io

from duck.asgi import ASGIHandler
from duck.test import override_settings
from duck.wsgi import WSGIHandler, _process_hooks

CALLS: list[str] = []


def sync_hook() -> None:
    CALLS.append("sync")


async def async_hook() -> None:
    CALLS.append("async")


def failing_hook() -> None:
    raise RuntimeError("cannot warm the cache")


async def lifespan(app: ASGIHandler) -> list[dict]:
    sent: list[dict] = []
    inbox: asyncio.Queue[dict] = asyncio.Queue()
    for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
        inbox.put_nowait(message)

    async def send(message: dict) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, inbox.get, send)
    return sent


def test_asgi_lifespan_runs_the_hooks_in_order():
    CALLS.clear()
    hooks = {
        "ON_STARTUP": [f"{__name__}.sync_hook", f"{__name__}.async_hook"],
        "ON_SHUTDOWN": [f"{__name__}.sync_hook"],
    }
    with override_settings(**hooks):
        sent = asyncio.run(lifespan(ASGIHandler()))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert CALLS == ["sync", "async", "sync"]


def test_a_failing_startup_hook_fails_the_asgi_startup():
    with override_settings(ON_STARTUP=[f"{__name__}.failing_hook"]):
        sent = asyncio.run(lifespan(ASGIHandler()))
    assert sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: cannot warm the cache"}]


def test_wsgi_runs_on_startup_before_the_first_request_and_retries_after_a_failure(monkeypatch):
    monkeypatch.setattr(_process_hooks, "_pid", None)
    monkeypatch.setattr(_process_hooks, "_exit_registered", True)  # no atexit registration from a test
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "testserver", "SERVER_PORT": "80"}
    statuses: list[str] = []

    def start_response(status: str, headers: list) -> None:
        statuses.append(status)

    with override_settings(ON_STARTUP=[f"{__name__}.failing_hook"]):
        WSGIHandler()({**environ, "wsgi.input": io.BytesIO()}, start_response)
    assert statuses == ["500 Internal Server Error"]
    assert not _process_hooks.started
    CALLS.clear()
    with override_settings(ON_STARTUP=[f"{__name__}.async_hook"]):
        for _ in range(2):
            WSGIHandler()({**environ, "wsgi.input": io.BytesIO()}, start_response)
    assert CALLS == ["async"]  # once per process
    assert _process_hooks.started
