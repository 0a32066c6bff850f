"""A real Chromium in the tutorial's chat with accounts, served by ``duck runserver``.

The tutorial (docs/tutorial.md) is replayed into a new project, then Chromium signs up, logs out and
in again through the CSRF-protected forms, chats over the WebSocket and sees its own name on its
messages (taken from the session on the server), posts the CSRF-protected announcement form from a
second tab and sees the announcement arrive in the first; a second, anonymous browser context opens
the same WebSocket from a page of the site and is refused at the handshake. In a project of its own,
the chat page shows its connection state: connected, closed with its code when the server goes away,
reconnecting, connected again; and 1011 when the handler fails because the database lacks the
message table, while the server's log says which migration commands to run.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS, free_port, runserver
from tests.test.test_docs_tutorial import replay_tutorial

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]
ROOT = Path(__file__).resolve().parents[2]
WAIT = 10_000  # milliseconds any one browser step may take


@pytest.fixture(scope="module")
def chat_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    project = replay_tutorial(tmp_path_factory.mktemp("tutorial"))
    with (project / "server.log").open("wb") as log, runserver(project, log, {"PYTHONPATH": str(ROOT)}) as port:
        yield f"127.0.0.1:{port}"


def submit_account(page: Any, base: str, username: str) -> None:
    """Fill in the sign-up or log-in form on ``page`` and land in the room it was opened for."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse")
    page.click("button")
    page.wait_for_url(f"{base}/chat/ducks")


REFUSED_SOCKET = """() => new Promise((resolve) => {
    const socket = new WebSocket(`ws://${location.host}/ws/chat/ducks`);
    socket.onopen = () => resolve("opened");
    socket.onclose = (event) => resolve(`closed ${event.code}`);
})"""


def test_sign_up_log_in_chat_announce_and_anonymous_refused(chat_site: str):
    playwright = pytest.importorskip("playwright.sync_api")
    base = f"http://{chat_site}"
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            ann = browser.new_context()
            page = ann.new_page()
            page.set_default_timeout(WAIT)
            page.goto(f"{base}/chat/ducks")
            assert page.url == f"{base}/login?next=/chat/ducks"  # @login_required

            page.goto(f"{base}/signup?next=/chat/ducks")
            submit_account(page, base, "ann")
            assert page.text_content("#me") == "ann"

            page.goto(f"{base}/logout")
            page.click("button")  # a POST with its CSRF token
            page.wait_for_selector("text=You are logged out")
            page.goto(f"{base}/chat/ducks")  # to the log-in form
            submit_account(page, base, "ann")

            page.wait_for_selector("#messages li:has-text('ann joined ducks')")
            page.fill("#text", "hello from chromium")
            page.press("#text", "Enter")
            page.wait_for_selector("#messages li:text-is('ann: hello from chromium')")

            other_tab = ann.new_page()
            other_tab.set_default_timeout(WAIT)
            other_tab.goto(f"{base}/chat/ducks")
            other_tab.fill("#announce input[name=text]", "news")
            other_tab.click("#announce button")  # the CSRF-protected form
            other_tab.wait_for_url(f"{base}/chat/ducks")
            page.wait_for_selector("#messages li:text-is('📣 ann: news')")

            stranger = browser.new_context().new_page()
            stranger.set_default_timeout(WAIT)
            stranger.goto(f"{base}/login")
            assert stranger.evaluate(REFUSED_SOCKET) == "closed 1006"  # refused at the handshake (401)
        finally:
            browser.close()


def test_connection_state_closed_reconnecting_and_a_failing_handler(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    project = replay_tutorial(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = project / "server.log"
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT)
            status = page.locator("#status")
            with log_path.open("ab") as log, runserver(project, log, {"PYTHONPATH": str(ROOT)}, port=port):
                page.goto(f"{base}/signup?next=/chat/ducks")
                submit_account(page, base, "ann")
                page.wait_for_selector("#status.open")
                assert status.text_content() == "Connected"
                page.fill("#text", "before the restart")
                page.press("#text", "Enter")
                page.wait_for_selector("#messages li:text-is('ann: before the restart')")
            # The server is gone (stopped with Ctrl-C, so it said goodbye with 1001).
            page.wait_for_selector("#status.closed")
            closed = status.text_content() or ""
            assert re.fullmatch(
                r"Disconnected \((1001: the server went away|1006: connection lost)\)\. "
                r"Reconnecting in 1 s…",
                closed,
            ), closed
            assert page.is_disabled("#form button")
            with log_path.open("ab") as log, runserver(project, log, {"PYTHONPATH": str(ROOT)}, port=port):
                page.wait_for_selector("#status.open", timeout=40_000)  # the backoff is at most 30 s
                page.wait_for_selector("#messages li:text-is('ann: before the restart')")  # the history, once
                assert page.locator("#messages li:text-is('ann: before the restart')").count() == 1
                assert page.is_enabled("#form button")

                with sqlite3.connect(project / "db.sqlite3") as database:
                    database.execute("DROP TABLE message")  # the model is now ahead of the database
                page.reload()
                page.wait_for_selector("#status.closed")
                assert status.text_content() == (
                    "Disconnected (1011: server error, see the server's log). Reconnecting in 1 s…"
                )
        finally:
            browser.close()
    log_text = log_path.read_text()
    assert "The database is behind the models (no such table: message)" in log_text
    assert 'duck db makemigrations -m "describe the change", then duck db migrate' in log_text
