"""A browser never sends pings: its WebSocket must outlive many keepalive intervals under `duck runserver`.

Regression: under uvloop a pong answered within the same millisecond as its ping was taken for no
answer, so a Chromium tab left alone was closed with 1011 after two ping intervals.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.helpers import CHROMIUM, chromium_evaluate, runserver

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
    with runserver(tmp_path) as port:
        yield port


def test_chromium_socket_outlives_many_ping_intervals(server):
    outcome = chromium_evaluate(f"http://127.0.0.1:{server}/", SCRIPT, f"ws://127.0.0.1:{server}/ws/echo", 15_000)
    assert outcome == "You sent after 3s"
