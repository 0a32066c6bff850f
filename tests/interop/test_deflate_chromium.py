"""Chromium's permessage-deflate keeps working after duck released an idle connection's zlib contexts.

Chromium offers ``permessage-deflate; client_max_window_bits`` and compresses with context takeover:
after a pause its next message may refer back into the ones before it. duck frees both contexts once
the connection is idle (WEBSOCKET_COMPRESSION_IDLE_RELEASE, 0.2 s here) and must still inflate that
message (it restores the client's window from the bytes it kept), while Chromium must inflate what
duck compresses afterwards from an empty window. The echo carries how many releases the server made
and how much of the client's history it keeps.

duck answers Chromium's ``client_max_window_bits`` offer with WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS
(RFC 7692 §7.1.2.2). The message repeats 1,500 pseudo-random letters, so a compressor with a larger
window than agreed would refer 1,500 bytes back and duck's inflater, sized to the agreed window,
would fail the connection: the test also shows that Chromium keeps to the smaller window.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from duck.conf import global_settings
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
        await self.send_text(f"{deflate.releases}:{len(deflate._history)}:{data.decode()}")


def page(request):
    return HttpResponse("<!doctype html><title>deflate</title>", content_type="text/html")


urlpatterns = [path("/", page), path("/ws/echo", Echo)]
"""

# Three rounds of the same long message; between rounds the socket stays silent for 1 s (at least
# two release periods). Resolves with the negotiated extensions and every echo, or how it closed.
SCRIPT = """(url) => new Promise((resolve) => {
    let seed = 7;
    const letters = [];
    for (let i = 0; i < 1500; i++) {
        seed = (seed * 48271) % 2147483647;  // MINSTD: the same letters on every run
        letters.push(String.fromCharCode(97 + (seed % 26)));
    }
    const noise = letters.join("");
    const text = JSON.stringify({user: "ann", text: `${noise} the quick brown duck ${noise}`});
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


@pytest.fixture(params=[None, 9], ids=["default-window", "9-bit-window"])
def server(request: pytest.FixtureRequest, tmp_path: Path):
    bits = request.param
    window = "" if bits is None else f"WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS = {bits}\n"
    (tmp_path / "settings.py").write_text(SETTINGS + window)
    (tmp_path / "urls.py").write_text(URLS)
    with runserver(tmp_path) as port:
        yield port, bits or global_settings.WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS


def test_chromium_exchanges_compressed_messages_after_an_idle_release(server):
    port, bits = server
    outcome = chromium_evaluate(f"http://127.0.0.1:{port}/", SCRIPT, f"ws://127.0.0.1:{port}/ws/echo", 20_000)
    assert "closed" not in outcome, outcome
    assert outcome["extensions"].startswith("permessage-deflate")
    assert f"client_max_window_bits={bits}" in outcome["extensions"]
    text = outcome["text"]
    echoes = [echo.split(":", 2) for echo in outcome["echoes"]]
    assert [echo[2] for echo in echoes] == [text, text, text + "!", text, text + "!"]
    releases = [int(echo[0]) for echo in echoes]
    assert releases[0] == 0
    assert releases[1] >= 1 and releases[3] > releases[2]  # each pause freed the contexts
    # Chromium compressed every message (only those are history); duck keeps one window of it.
    assert [int(echo[1]) for echo in echoes] == [min(len(text.encode()) * n, 1 << bits) for n in (1, 2, 3, 4, 5)]
