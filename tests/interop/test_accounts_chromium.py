"""A real Chromium in the tutorial's chat with accounts, served by ``duck runserver``.

The tutorial (docs/tutorial.md) is replayed into a new project, then Chromium signs up, logs out and
in again through the CSRF-protected forms, chats over the WebSocket and sees its own name on its
messages (taken from the session on the server), posts the CSRF-protected announcement form from a
second tab and sees the announcement arrive in the first; a second, anonymous browser context opens
the same WebSocket from a page of the site and is refused at the handshake.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.helpers import CHROMIUM, CHROMIUM_ARGS, runserver
from tests.test.test_docs_tutorial import TUTORIAL, apply_step, blocks_of

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]
ROOT = Path(__file__).resolve().parents[2]
WAIT = 10_000  # milliseconds any one browser step may take


def replay_tutorial(folder: Path) -> Path:
    """The project as the tutorial leaves it (steps applied, commands run; its checks are the docs test's)."""
    env = {key: value for key, value in os.environ.items() if key != "DUCK_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    cwd = folder
    for step in (block for block in blocks_of(TUTORIAL) if block.kind == "tutorial"):
        assert step.target is not None
        verb, _, relative = step.target.partition(";")[0].strip().partition(" ")
        if verb == "shell":
            result = subprocess.run(
                ["bash", "-ec", f"{step.code}\npwd"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, result.stderr
            cwd = Path(result.stdout.strip().splitlines()[-1])
        else:
            apply_step(verb, cwd, relative.strip(), step.code)
    return cwd


@pytest.fixture(scope="module")
def chat_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    project = replay_tutorial(tmp_path_factory.mktemp("tutorial"))
    with (project / "server.log").open("wb") as log, runserver(project, log, {"PYTHONPATH": str(ROOT)}) as port:
        yield f"127.0.0.1:{port}"


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
            page.fill("input[name=username]", "ann")
            page.fill("input[name=password]", "correct horse")
            page.click("button")
            page.wait_for_url(f"{base}/chat/ducks")
            assert page.text_content("#me") == "ann"

            page.goto(f"{base}/logout")
            page.click("button")  # a POST with its CSRF token
            page.wait_for_selector("text=You are logged out")
            page.goto(f"{base}/chat/ducks")
            page.fill("input[name=username]", "ann")
            page.fill("input[name=password]", "correct horse")
            page.click("button")
            page.wait_for_url(f"{base}/chat/ducks")

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
