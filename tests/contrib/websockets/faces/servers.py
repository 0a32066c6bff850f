"""Real servers for the faces and examples tests: duck's (in-process or ``duck runserver``) and uvicorn.

Child processes have their output drained by a thread: a pipe nobody reads fills after 64 KiB
of access logs and then stalls the server mid-test. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from duck.conf import settings
from duck.core.handler import Handler
from tests.contrib.websockets.test_interop import _bound_socket

ROOT = Path(__file__).resolve().parents[4]
WAIT = 5.0  # seconds any single network wait may take
START_TIMEOUT = 20.0  # seconds a server process may take to start


class ServerProcess:
    """A server in a child process; its combined stdout/stderr is collected by a thread."""

    def __init__(self, command: Sequence[str], *, env: dict[str, str], pass_fds: Sequence[int] = ()) -> None:
        self.proc = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=env,
            pass_fds=tuple(pass_fds),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.output = bytearray()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._drain, name="server-output", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):  # type: ignore[union-attr]
            with self._changed:
                self.output += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: bytes, timeout: float = START_TIMEOUT) -> re.Match[bytes]:
        """Block until the output matches ``pattern``; fail with the output if it never does."""
        regex = re.compile(pattern)
        with self._changed:
            found = self._changed.wait_for(lambda: regex.search(self.output) or self.proc.poll() is not None, timeout)
            match = regex.search(self.output)
        if not found or match is None:
            raise RuntimeError(f"server did not print {pattern!r}:\n{self.text}")
        return match

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _env(settings_module: str) -> dict[str, str]:
    return {**os.environ, "DUCK_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def start_uvicorn(app: str, settings_module: str) -> tuple[ServerProcess, str]:
    """``uvicorn app`` in a child process on a socket handed over by fd; returns it and its ws:// base URL."""
    sock = _bound_socket()
    port = sock.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", app, "--fd", str(sock.fileno()), "--log-level", "info"]
    try:
        server = ServerProcess(command, env=_env(settings_module), pass_fds=[sock.fileno()])
    finally:
        sock.close()
    try:
        server.wait_for(rb"Application startup complete")
    except BaseException:
        server.stop()
        raise
    return server, f"ws://127.0.0.1:{port}"


def start_runserver(settings_module: str) -> tuple[ServerProcess, str]:
    """``duck runserver 127.0.0.1:PORT --settings MODULE`` in a child process; returns it and its base URL.

    runserver binds the port itself, so a free one is picked first; if another process takes it
    in between, the start is retried on a new port.
    """
    for _attempt in range(3):
        port = _free_port()
        command = [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--settings", settings_module]
        server = ServerProcess(command, env=_env(settings_module))
        try:
            server.wait_for(rb"duck server running at http://127\.0\.0\.1:\d+")
        except RuntimeError:
            server.stop()
            if "already in use" in server.text:
                continue
            raise
        return server, f"ws://127.0.0.1:{port}"
    raise RuntimeError("no free port for duck runserver after 3 attempts")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_of(module_name: str) -> dict[str, object]:
    """The upper-case names of a settings module, to apply with ``settings.override``."""
    module = importlib.import_module(module_name)
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


@contextlib.asynccontextmanager
async def duck_in_process(settings_module: str, **overrides: object) -> AsyncIterator[str]:
    """duck's server on this test's loop, serving the project of ``settings_module``; yields the base URL."""
    from duck.server import serve

    sock = _bound_socket()
    port = sock.getsockname()[1]
    ready = asyncio.Event()
    values = {**settings_of(settings_module), "SERVER_ACCESS_LOG": False, **overrides}
    with settings.override(**values):
        task = asyncio.create_task(serve(Handler(), sock=sock, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), WAIT)
            yield f"ws://127.0.0.1:{port}"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)


async def http_get(base: str, path: str, headers: Sequence[tuple[str, str]] = ()) -> tuple[int, bytes]:
    """A plain HTTP/1.1 GET to the server at ``base`` (a ws:// URL); returns status and body."""
    host, port = base.removeprefix("ws://").split(":")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), WAIT)
    try:
        # "close" is always among the Connection tokens, so the body ends when the server closes.
        tokens = [value for name, value in headers if name.lower() == "connection"] + ["close"]
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", f"Connection: {', '.join(tokens)}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "connection"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = await asyncio.wait_for(reader.read(), 10)  # until the server closes (Connection: close)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return status, body


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)
