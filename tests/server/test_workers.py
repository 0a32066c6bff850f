"""``--workers``: a supervisor process keeps N workers on one port and replaces one that dies."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.server.helpers import ServerProcess, http_get

ROOT = str(Path(__file__).resolve().parents[2])

SCRIPT = f"""
import os, sys
sys.path.insert(0, {ROOT!r})
from duck.conf import settings
settings.configure(SECRET_KEY="workers-test", ALLOWED_HOSTS=["*"], SERVER_ACCESS_LOG=False, SERVER_SHUTDOWN_TIMEOUT=2)
from duck.http.response import PlainTextResponse
from duck.server import run

class Pid:
    async def handle(self, request):
        return PlainTextResponse(str(os.getpid()))

run("127.0.0.1", 0, workers=2, handler=Pid())
"""

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork()")


def started_pid(line: str) -> int | None:
    match = re.search(r"Worker (\d+) started\.", line)
    return int(match.group(1)) if match else None


def test_killed_worker_is_restarted_and_sigterm_stops_all(tmp_path: Path):
    server = ServerProcess([sys.executable, "-c", SCRIPT], cwd=str(tmp_path))
    try:
        url = server.wait_for(lambda line: "duck server running at" in line)
        port = int(re.search(r":(\d+)/", url).group(1))  # type: ignore[union-attr]
        assert "workers: 2" in server.wait_for(lambda line: line.startswith("  workers:"))
        pids = {started_pid(server.wait_for(started_pid)) for _ in range(2)}
        for _ in range(2):
            server.wait_for(lambda line: "serving at" in line)
        status, body = http_get(port)
        assert status == 200 and int(body) in pids

        victim = sorted(pids)[0]  # type: ignore[type-var]
        os.kill(victim, signal.SIGKILL)  # type: ignore[arg-type]
        died = server.wait_for(lambda line: f"Worker {victim} died" in line)
        assert "killed by SIGKILL" in died and "starting a new one" in died
        replacement = started_pid(server.wait_for(started_pid))
        assert replacement not in pids
        server.wait_for(lambda line: "serving at" in line and f"Process {replacement} " in line)
        seen = {int(http_get(port)[1]) for _ in range(20)}
        assert victim not in seen
        assert seen <= (pids - {victim}) | {replacement}
    finally:
        started = time.monotonic()
        code = server.stop()
    assert code == 0
    assert time.monotonic() - started < 15
    stopped = [line for line in server.lines if "stopped (" in line]
    assert len(stopped) == 2, server.lines
