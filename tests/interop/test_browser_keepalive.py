"""A browser never sends pings: its WebSocket must outlive many keepalive intervals under `duck runserver`.

Regression: under uvloop a pong answered within the same millisecond as its ping was taken for no
answer, so a Chromium tab left alone was closed with 1011 after two ping intervals.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_port

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]

SETTINGS = """
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "urls"
SECRET_KEY = "test-only-keepalive"
WEBSOCKET_PING_INTERVAL = 0.2
WEBSOCKET_PING_TIMEOUT = 0.2
"""

URLS = """
from duck.contrib.websockets import OpCode, WebSocketView
from duck.http.response import HttpResponse
from duck.urls import path


class Echo(WebSocketView):
    async def on_receive(self, data, opcode):
        await self.send_text("You sent " + data.decode())


def page(request):
    return HttpResponse("<!doctype html><title>keepalive</title>", content_type="text/html")


urlpatterns = [path("/", page), path("/ws/echo", Echo)]
"""

# Opens the socket, stays silent for 3 s (15 ping intervals), then talks; resolves with what happened.
SCRIPT = """(url) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onclose = (event) => resolve(`closed ${event.code} ${event.reason}`);
    ws.onopen = () => setTimeout(() => {
        ws.onmessage = (event) => { ws.onclose = null; ws.close(1000); resolve(event.data); };
        ws.send("after 3s");
    }, 3000);
})"""


@pytest.fixture
def server(tmp_path: Path):
    (tmp_path / "settings.py").write_text(SETTINGS)
    (tmp_path / "urls.py").write_text(URLS)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DUCK_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_chromium_socket_outlives_many_ping_intervals(server):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"http://127.0.0.1:{server}/")
            outcome = page.evaluate(SCRIPT, f"ws://127.0.0.1:{server}/ws/echo")
        finally:
            browser.close()
    assert outcome == "You sent after 3s"
