"""A real redis-server for the tests that need one (groups, sessions, login throttling).

``redis_server`` starts Debian's ``redis-server`` on a free port of 127.0.0.1 (no persistence) for
a test module, waits for it with PING under a deadline, and stops it afterwards. Tests that need
Redis are skipped, saying why, only when redis-server is not installed (``bash scripts/test.sh``
installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from duck.utils.redis_client import close_clients
from tests.interop.helpers import free_port

REDIS_START_TIMEOUT = 10.0  # seconds redis-server may take to answer PING


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


def redis_executable() -> str:
    executable = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if executable is None:
        pytest.skip("redis-server is not installed (bash scripts/test.sh installs Debian's redis-server)")
    pytest.importorskip("redis", reason="the redis backend needs redis-py: pip install -e '.[test]'")
    return executable


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for a test module; duck's blocking clients of it are closed afterwards."""
    server = RedisServer(redis_executable())
    server.start()
    try:
        yield server
    finally:
        close_clients()
        server.stop()
