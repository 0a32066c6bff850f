"""A real redis-server for the groups tests, clients for real servers, and per-test isolation.

The Redis fixtures start Debian's ``redis-server`` on a free port of 127.0.0.1 (no persistence),
wait for it with PING under a deadline, and stop it afterwards. Tests that need Redis are
skipped, saying why, only when redis-server is not installed (``bash scripts/test.sh`` installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from duck.contrib.websockets import groups
from tests.contrib.websockets.faces.servers import ROOT, START_TIMEOUT, ServerProcess
from tests.contrib.websockets.groups.project import views
from tests.interop.helpers import free_port
from tests.redis_server import RedisServer, redis_executable

WAIT = 5.0  # seconds any single network wait may take
SETTINGS = "tests.contrib.websockets.groups.project.settings"
REDIS_SETTINGS = "tests.contrib.websockets.groups.project.settings_redis"
ASGI_APP = "tests.contrib.websockets.groups.project.asgi:application"

_prefixes = itertools.count(1)


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which it may stop and start again."""
    server = RedisServer(redis_executable())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def redis_overrides(server: RedisServer, prefix: str | None = None, **more: Any) -> dict[str, Any]:
    """Settings for the redis backend on ``server``, with a channel prefix no other test uses."""
    return {
        "GROUPS_BACKEND": "redis",
        "REDIS_URL": server.url,
        "GROUPS_REDIS_PREFIX": prefix or new_prefix(),
        "GROUPS_REDIS_BACKOFF_MAX": 0.5,
        **more,
    }


def new_prefix() -> str:
    return f"test{os.getpid()}-{next(_prefixes)}:"


def start_runserver(server: RedisServer, prefix: str, *, workers: int = 1) -> tuple[ServerProcess, str]:
    """``duck runserver`` of the groups project on the Redis backend, in a child process.

    The Redis URL is given by DUCK_REDIS_URL (the environment variable the backend prefers),
    the channel prefix by GROUPS_TEST_PREFIX (read by the project's settings_redis). With
    ``workers`` > 1, returns once every worker is serving.
    """
    env = {
        **os.environ,
        "DUCK_SETTINGS_MODULE": REDIS_SETTINGS,
        "DUCK_REDIS_URL": server.url,
        "GROUPS_TEST_PREFIX": prefix,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    for _attempt in range(3):
        port = free_port()
        command = [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--settings", REDIS_SETTINGS]
        if workers > 1:
            command += ["--workers", str(workers)]
        process = ServerProcess(command, env=env)
        try:
            process.wait_for(rb"duck server running at http://127\.0\.0\.1:\d+")
            if workers > 1:
                process.wait_for(rb"(?s)" + rb"serving at.*" * workers, START_TIMEOUT)
        except RuntimeError:
            process.stop()
            if "already in use" in process.text:
                continue
            raise
        return process, f"ws://127.0.0.1:{port}"
    raise RuntimeError("no free port for duck runserver after 3 attempts")


@pytest.fixture(autouse=True)
async def fresh_groups(monkeypatch) -> AsyncIterator[None]:
    """Each test starts with no backend on its loop, no DUCK_REDIS_URL and no recorded connections."""
    monkeypatch.delenv("DUCK_REDIS_URL", raising=False)
    views.OPENED.clear()
    yield
    await groups.aclose()
    views.OPENED.clear()


# -- clients ------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def member(base: str, path: str = "/ws/lobby", **kwargs: Any) -> AsyncIterator[tuple[ClientConnection, dict]]:
    """A websockets client at ``base + path``, once the server said hello (it is in its groups)."""
    async with connect(base + path, open_timeout=WAIT, close_timeout=WAIT, **kwargs) as ws:
        hello = json.loads(await recv(ws))
        yield ws, hello


async def recv(ws: ClientConnection, timeout: float = WAIT) -> Any:
    return await asyncio.wait_for(ws.recv(), timeout)


async def command(ws: ClientConnection, **fields: Any) -> None:
    await ws.send(json.dumps(fields))


async def nothing_more(ws: ClientConnection, marker_from: ClientConnection, *also: ClientConnection) -> None:
    """Prove ``ws`` got nothing else: a marker sent to the lobby now is the next thing it receives.

    ``also``: the other lobby members, whose copy of the marker is consumed too.
    """
    await command(marker_from, op="send", group="lobby", value="marker")
    for client in (ws, *also):
        assert await recv(client) == "marker"
