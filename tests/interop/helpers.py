"""What the interop tests share: free ports, a project under ``duck runserver``, headless Chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"duck runserver exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"duck runserver did not listen on {port} within {timeout}s")


@contextlib.contextmanager
def runserver(
    project: Path,
    output: IO[bytes] | int = subprocess.DEVNULL,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[int]:
    """``duck runserver`` on ``port`` (a free one by default) in ``project`` (its own settings.py); yields the port.

    Stopped as a user would (Ctrl-C, so graceful shutdown runs), killed if that takes over 15 s.
    """
    port = port or free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DUCK_SETTINGS_MODULE", None)  # the project's own settings.py, found by `duck runserver`
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
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


def chromium_evaluate(page_url: str, script: str, argument: Any, timeout_ms: float = 15_000) -> Any:
    """Open ``page_url`` in headless Chromium, run ``script`` (a JS function) with ``argument``, return its result."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(timeout_ms)
            page.goto(page_url)
            return page.evaluate(script, argument)
        finally:
            browser.close()
