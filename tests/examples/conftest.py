"""Serve one example project per test module, under `duck runserver` and under uvicorn in turn."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.contrib.websockets.faces.servers import WAIT, ServerProcess, start_runserver, start_uvicorn

SERVERS = ["runserver", "uvicorn"]


@dataclass
class Served:
    """An example project being served: the server's kind, process and ws:// base URL."""

    kind: str
    process: ServerProcess
    base: str

    def connect(self, path: str, **kwargs) -> contextlib.AbstractAsyncContextManager[ClientConnection]:
        return connect(self.base + path, open_timeout=WAIT, close_timeout=WAIT, **kwargs)

    async def printed(self, text: str, timeout: float = WAIT) -> None:
        """Wait until the server process has printed ``text`` (its output is collected by a thread)."""
        await asyncio.to_thread(self.process.wait_for, text.encode(), timeout)


def serve_example(name: str, kind: str) -> Iterator[Served]:
    """Run ``examples/<name>`` under ``kind`` until the module's tests are done.

    The server's output must hold no traceback at the end: an example that "works" while
    logging errors does not work.
    """
    settings_module = f"examples.{name}.settings"
    if kind == "runserver":
        process, base = start_runserver(settings_module)
    else:
        pytest.importorskip("uvicorn")
        process, base = start_uvicorn(f"examples.{name}.asgi:application", settings_module)
    try:
        yield Served(kind, process, base)
    finally:
        process.stop()
    assert "Traceback" not in process.text, process.text


async def recv(ws: ClientConnection, timeout: float = WAIT) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), timeout)


async def recv_skipping(ws: ClientConnection, expected: str, *, skippable: set[str]) -> None:
    """Receive until ``expected``, allowing only ``skippable`` messages before it.

    A chat room that broadcasts by looping over its list of users reaches a user who joined
    while the loop was still running: that late copy of an earlier message is correct behaviour.
    """
    while (message := await recv(ws)) != expected:
        assert message in skippable, f"unexpected {message!r} while waiting for {expected!r}"
