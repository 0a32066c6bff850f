"""Chromium (Debian's /usr/bin/chromium via Playwright) loads a page over https:// and talks wss:// from it.

The server is ``duck runserver --certfile cert.pem --keyfile key.pem`` in a fresh project, with a
self-signed certificate made by the test; the browser is told to accept it (``ignore_https_errors``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.conftest import run_duck
from tests.cli.test_runserver_tls import add_websocket_example, serving
from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS
from tests.tls import Certificate

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]

WEBSOCKET_FROM_PAGE = """(url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error("no reply within 8s")), 8000);
    ws.onopen = () => ws.send("from chromium");
    ws.onmessage = (event) => { clearTimeout(timer); ws.close(1000); resolve(event.data); };
    ws.onerror = () => { clearTimeout(timer); reject(new Error("websocket error")); };
})"""


@pytest.fixture
def tls_project(tmp_path: Path, certificate: Certificate) -> Path:
    assert run_duck("startproject", "mysite", cwd=tmp_path).returncode == 0
    return add_websocket_example(tmp_path / "mysite", certificate)


def test_chromium_gets_an_https_page_and_a_wss_round_trip(tls_project: Path):
    playwright = pytest.importorskip("playwright.sync_api")
    with serving(tls_project) as (url, _), playwright.sync_playwright() as pw:
        base = url.replace("127.0.0.1", "localhost")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(ignore_https_errors=True)  # the certificate is self-signed
            page = context.new_page()
            page.set_default_timeout(10_000)
            response = page.goto(base)
            assert response is not None and response.status == 200
            assert "mysite is running" in page.content()
            assert page.evaluate("location.protocol") == "https:"
            assert page.evaluate("window.isSecureContext") is True
            security = response.security_details()
            assert security is not None and security.get("protocol") in ("TLS 1.2", "TLS 1.3")
            reply = page.evaluate(WEBSOCKET_FROM_PAGE, base.replace("https://", "wss://") + "ws/myws")
        finally:
            browser.close()
    assert reply == "You sent from chromium over https"
