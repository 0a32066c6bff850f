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
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from duck.contrib.websockets import groups
from tests.contrib.websockets.faces.servers import ROOT, START_TIMEOUT, ServerProcess
from tests.contrib.websockets.groups.project import views

WAIT = 5.0  # seconds any single network wait may take
REDIS_START_TIMEOUT = 10.0  # seconds redis-server may take to answer PING
SETTINGS = "tests.contrib.websockets.groups.project.settings"
REDIS_SETTINGS = "tests.contrib.websockets.groups.project.settings_redis"
ASGI_APP = "tests.contrib.websockets.groups.project.asgi:application"

_prefixes = itertools.count(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``redis-server`` on one port of 127.0.0.1; :meth:`stop` and :meth:`start` again keep the port."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while not self.ping():
            if self.proc.poll() is not None:
                error = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.stop()
                raise RuntimeError(f"redis-server exited at startup: {error}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer PING within {REDIS_START_TIMEOUT}s")
            time.sleep(0.02)  # polling a port: there is no event to wait for

    def ping(self) -> bool:
        """True if the server answers PING (one bounded attempt)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def _redis_executable() -> str:
    executable = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if executable is None:
        pytest.skip("redis-server is not installed (bash scripts/test.sh installs Debian's redis-server)")
    pytest.importorskip("redis", reason="the redis backend needs redis-py: pip install -e '.[test]'")
    return executable


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for a test module."""
    server = RedisServer(_redis_executable())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which it may stop and start again."""
    server = RedisServer(_redis_executable())
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
