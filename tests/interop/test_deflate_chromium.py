"""Chromium's permessage-deflate keeps working after duck released an idle connection's zlib contexts.

Chromium offers ``permessage-deflate; client_max_window_bits`` and compresses with context takeover:
after a pause its next message may refer back into the ones before it. duck frees both contexts once
the connection is idle (WEBSOCKET_COMPRESSION_IDLE_RELEASE, 0.2 s here) and must still inflate that
message (it restores the client's window from the bytes it kept), while Chromium must inflate what
duck compresses afterwards from an empty window. The echo carries how many releases the server made.
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
SECRET_KEY = "test-only-deflate"
WEBSOCKET_PING_INTERVAL = None
WEBSOCKET_COMPRESSION_IDLE_RELEASE = 0.2
"""

URLS = """
from duck.contrib.websockets import WebSocketView
from duck.http.response import HttpResponse
from duck.urls import path


class Echo(WebSocketView):
    async def on_receive(self, data, opcode):
        deflate = self.connection._deflate  # the connection's permessage-deflate (LazyDeflate)
        await self.send_text(f"{deflate.releases}:{data.decode()}")


def page(request):
    return HttpResponse("<!doctype html><title>deflate</title>", content_type="text/html")


urlpatterns = [path("/", page), path("/ws/echo", Echo)]
"""

# Three rounds of the same long message; between rounds the socket stays silent for 1 s (at least
# two release periods). Resolves with the negotiated extensions and every echo, or how it closed.
SCRIPT = """(url) => new Promise((resolve) => {
    const text = JSON.stringify({user: "ann", text: "the quick brown duck jumps over the lazy dog ".repeat(20)});
    const echoes = [];
    const ws = new WebSocket(url);
    ws.onclose = (event) => resolve({closed: `${event.code} ${event.reason}`, echoes});
    ws.onopen = () => ws.send(text);
    ws.onmessage = (event) => {
        echoes.push(event.data);
        if (echoes.length === 1 || echoes.length === 3) {
            setTimeout(() => { ws.send(text); ws.send(text + "!"); }, 1000);
        } else if (echoes.length === 5) {
            ws.onclose = null;
            ws.close(1000);
            resolve({extensions: ws.extensions, echoes, text});
        }
    };
})"""


@pytest.fixture
def server(tmp_path: Path):
    (tmp_path / "settings.py").write_text(SETTINGS)
    (tmp_path / "urls.py").write_text(URLS)
    with runserver(tmp_path) as port:
        yield port


def test_chromium_exchanges_compressed_messages_after_an_idle_release(server):
    outcome = chromium_evaluate(f"http://127.0.0.1:{server}/", SCRIPT, f"ws://127.0.0.1:{server}/ws/echo", 20_000)
    assert "closed" not in outcome, outcome
    assert outcome["extensions"].startswith("permessage-deflate")
    text = outcome["text"]
    releases = [int(echo.partition(":")[0]) for echo in outcome["echoes"]]
    assert [echo.partition(":")[2] for echo in outcome["echoes"]] == [text, text, text + "!", text, text + "!"]
    assert releases[0] == 0
    assert releases[1] >= 1 and releases[3] > releases[2]  # each pause freed the contexts
