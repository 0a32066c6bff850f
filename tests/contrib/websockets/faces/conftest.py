"""Each faces test runs against duck's server (in-process) and a real uvicorn process, serving one project."""

from __future__ import annotations

import pytest

from tests.contrib.websockets.faces.servers import duck_in_process, start_uvicorn

SETTINGS = "tests.contrib.websockets.faces.project.settings"
STRICT_SETTINGS = "tests.contrib.websockets.faces.project.settings_strict"
ASGI_APP = "tests.contrib.websockets.faces.project.asgi:application"


def _uvicorn(settings_module: str):
    pytest.importorskip("uvicorn")
    server, base = start_uvicorn(ASGI_APP, settings_module)
    try:
        yield base
    finally:
        server.stop()


@pytest.fixture(scope="session")
def uvicorn_faces():
    """uvicorn serving the faces project (one process for the whole session)."""
    yield from _uvicorn(SETTINGS)


@pytest.fixture(scope="session")
def uvicorn_faces_strict():
    """uvicorn serving the faces project with WEBSOCKET_SYNC_THREADS=2 and WEBSOCKET_ACCEPT_ALL."""
    yield from _uvicorn(STRICT_SETTINGS)


async def _base(request: pytest.FixtureRequest, settings_module: str, uvicorn_fixture: str):
    if request.param == "uvicorn":
        yield request.getfixturevalue(uvicorn_fixture)
        return
    async with duck_in_process(settings_module) as base:
        yield base


@pytest.fixture(params=["duck", "uvicorn"])
async def base(request):
    """The ws:// base URL of the faces project, on each server in turn."""
    async for url in _base(request, SETTINGS, "uvicorn_faces"):
        yield url


@pytest.fixture(params=["duck", "uvicorn"])
async def strict_base(request):
    """The faces project with two sync threads at most and WEBSOCKET_ACCEPT_ALL on, on each server."""
    async for url in _base(request, STRICT_SETTINGS, "uvicorn_faces_strict"):
        yield url
