"""Chromium (Debian's /usr/bin/chromium via Playwright) receives and decodes zstd, br and gzip pages.

duck's server serves tests/middleware/compression_project (CompressionMiddleware on). Chromium offers
``gzip, deflate, br, zstd``; to get each coding in turn the browser context sends a narrower
Accept-Encoding, which Chromium keeps instead of its own. The page's text proves the browser decoded
what the ``content-encoding`` header of its response says it got.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS
from tests.middleware.test_compression_servers import ProjectServer, free_port

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectServer]:
    process = ProjectServer("duck", free_port(), Path(tmp_path_factory.mktemp("duck")) / "duck.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.mark.parametrize(("accept", "coding"), [(None, "zstd"), ("br", "br"), ("gzip", "gzip"), ("identity", None)])
def test_chromium_decodes_the_negotiated_coding(server: ProjectServer, accept: str | None, coding: str | None):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(extra_http_headers={"Accept-Encoding": accept} if accept else None)
            page = context.new_page()
            page.set_default_timeout(10_000)
            response = page.goto(f"http://127.0.0.1:{server.port}/page")
            assert response is not None and response.status == 200
            headers = response.all_headers()
            sent = response.request.all_headers().get("accept-encoding", "")
            title = page.title()
            paragraphs = page.locator("p").count()
            last = page.locator("p").last.inner_text()
        finally:
            browser.close()
    assert headers.get("content-encoding") == coding, (sent, headers)
    if accept is None:
        assert "zstd" in sent and "br" in sent  # Chromium's own offer
    assert title == "duck compressed page"
    assert paragraphs == 400 and last == "Paragraph 399: the quick brown duck jumps over the lazy dog."
