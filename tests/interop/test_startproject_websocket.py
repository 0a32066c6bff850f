"""The README's WebSocket example, verbatim, in a startproject'ed project under `duck runserver`.

Proven from two real clients over 127.0.0.1: the websockets library and a page in headless
Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser download).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS, runserver

pytestmark = pytest.mark.interop

# Exactly the example users are promised (README and the WebSocket docs).
EXAMPLE = """
from duck.urls import path
from duck.contrib.websockets import WebSocketView, OpCode

class MyWebSocket(WebSocketView):
    async def on_open(self):
        print("WebSocket connection established")

    async def on_receive(self, data: bytes, opcode: int):
        if opcode == OpCode.TEXT:
            await self.send_text("You sent " + data.decode("utf-8"))

urlpatterns = [path("/ws/myws", MyWebSocket, name="mywebsocket")]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A fresh `duck startproject mysite` whose urls.py gains the example's route."""
    root = tmp_path_factory.mktemp("quickstart")
    subprocess.run(
        [sys.executable, "-m", "duck", "startproject", "mysite"], cwd=root, check=True, timeout=30, capture_output=True
    )
    site = root / "mysite"
    generated = (site / "urls.py").read_text()
    own_routes = generated.replace("urlpatterns =", "urlpatterns +=")
    (site / "urls.py").write_text(EXAMPLE + "\n# The project's own routes, after the example's\n" + own_routes)
    return site


@pytest.fixture(scope="module")
def server(project: Path):
    with open(project / "server.log", "w+b") as log, runserver(project, log) as port:
        yield port, log


def server_output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")


def test_welcome_page_is_still_served(server):
    import urllib.request

    port, _ = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200
        assert b"mysite" in response.read()


def test_websockets_library_client_round_trip(server):
    from websockets.asyncio.client import connect

    port, log = server

    async def talk() -> str:
        async with connect(f"ws://127.0.0.1:{port}/ws/myws", open_timeout=10, close_timeout=5) as ws:
            await ws.send("hello duck")
            return await asyncio.wait_for(ws.recv(), 10)

    assert asyncio.run(talk()) == "You sent hello duck"
    deadline = time.monotonic() + 5
    while "WebSocket connection established" not in server_output(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "WebSocket connection established" in server_output(log)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)")
def test_headless_chromium_page_round_trip(server):
    playwright = pytest.importorskip("playwright.sync_api")
    port, _ = server
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"http://127.0.0.1:{port}/")  # same origin as the socket: the Origin check passes
            reply = page.evaluate(
                """(url) => new Promise((resolve, reject) => {
                    const ws = new WebSocket(url);
                    const timer = setTimeout(() => reject(new Error("no reply within 8s")), 8000);
                    ws.onopen = () => ws.send("from chromium");
                    ws.onmessage = (event) => { clearTimeout(timer); ws.close(1000); resolve(event.data); };
                    ws.onerror = () => { clearTimeout(timer); reject(new Error("websocket error")); };
                })""",
                f"ws://127.0.0.1:{port}/ws/myws",
            )
        finally:
            browser.close()
    assert reply == "You sent from chromium"


def test_cross_site_page_is_refused(server):
    """A page from another origin cannot open the socket (cross-site WebSocket hijacking)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    port, _ = server

    async def attempt() -> int:
        try:
            async with connect(f"ws://127.0.0.1:{port}/ws/myws", origin="http://evil.example", open_timeout=10):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert asyncio.run(attempt()) == 403
