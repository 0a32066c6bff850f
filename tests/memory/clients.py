"""Clients that behave as an attacker or a careless peer would, for the memory tests and bench/soak.py.

Raw sockets, not a client library: they must be able to stop reading, reset the connection in the
middle of anything, and open thousands of connections quickly. Frames are masked with a zero key
(valid framing, RFC 6455 §5.3, and no per-byte work), so a 1 MB frame costs nothing to build.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # seconds any one exchange may take before it counts as a failure
_KEY = base64.b64encode(b"duck-memory-test").decode()


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A client frame masked with a zero key."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, size)
    return head + b"\0\0\0\0" + payload


def handshake(path: str = "/ws/echo", deflate: bool = False) -> bytes:
    # With ``deflate``, the offer browsers send (RFC 7692): any client window the server picks.
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {_KEY}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
    ).encode()


def compressed_frame(opcode: int, payload: bytes) -> bytes:
    """A client message compressed as RFC 7692 §7.2.1 says, from an empty 512-byte window (valid first message)."""
    compressor = zlib.compressobj(wbits=-9)
    data = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    head = bytearray(frame(opcode, data))
    head[0] |= 0x40  # RSV1: the message is compressed
    return bytes(head)


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), WAIT)


async def _upgrade(port: int, deflate: bool = False) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await _open(port)
    writer.write(handshake(deflate=deflate))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise RuntimeError(f"handshake refused: {head[:40]!r}")
    if deflate and b"permessage-deflate" not in head.lower():
        writer.close()
        raise RuntimeError("permessage-deflate was not negotiated")
    return reader, writer


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a client that vanishes does."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def http_cycle(port: int) -> None:
    """Connect, GET /ping with Connection: close, read the whole answer, close."""
    reader, writer = await _open(port)
    try:
        writer.write(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), WAIT)
        if not data.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer {data[:40]!r}")
    finally:
        writer.close()


async def websocket_cycle(port: int) -> None:
    """Open a WebSocket, send one message, read the echo, close cleanly."""
    reader, writer = await _upgrade(port)
    try:
        writer.write(frame(0x1, b"hello"))
        echo = await asyncio.wait_for(reader.readexactly(7), WAIT)
        if echo != b"\x81\x05hello":
            raise RuntimeError(f"unexpected echo {echo!r}")
        writer.write(frame(0x8, struct.pack("!H", 1000)))
        await asyncio.wait_for(reader.read(), WAIT)  # the server's close frame, then its FIN
    finally:
        writer.close()


async def websocket_reset_after_message(port: int, size: int = 1_000_000) -> None:
    """Open a WebSocket, send one large binary message, then reset the connection without reading."""
    _reader, writer = await _upgrade(port)
    writer.write(frame(0x2, b"\0" * size))
    await asyncio.wait_for(writer.drain(), WAIT)
    _reset(writer)


async def many(count: int, concurrency: int, make: Callable[[], Awaitable[None]]) -> int:
    """Run ``count`` client routines, ``concurrency`` at a time; returns how many failed."""
    failures = 0
    remaining = count
    lock = asyncio.Lock()

    async def worker() -> None:
        nonlocal remaining, failures
        while True:
            async with lock:
                if remaining == 0:
                    return
                remaining -= 1
            try:
                await make()
            except (OSError, RuntimeError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                failures += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def stats(port: int, path: str = "/stats") -> dict[str, int]:
    """The server's RSS and live connection objects (the memory project's /stats, or /live)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return json.loads(data.partition(b"\r\n\r\n")[2])


def settled_stats(port: int, timeout: float = 10.0) -> dict[str, int]:
    """``stats`` once the server has noticed every closed connection (no WebSocket object left).

    Reset connections are noticed as their RSTs are read; the count is polled, bounded in time.
    """
    deadline = time.monotonic() + timeout
    while True:
        current = stats(port)
        if current["websocket"] == 0 or time.monotonic() > deadline:
            return current
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def memory_server(port: int, *extra_settings: str, cpu: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`duck runserver` on ``port`` serving the memory project (one process, uvloop, DEBUG off).

    ``extra_settings`` are lines appended to a settings module made for this run (e.g. lower limits);
    ``cpu`` pins the server to that core (``taskset``), for benchmarks.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    module = "tests.memory.settings"
    if extra_settings:
        folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"duck-memory-{os.getpid()}-{port}"
        folder.mkdir(exist_ok=True)
        (folder / "memory_run_settings.py").write_text(
            "from tests.memory.settings import *  # noqa: F403\n" + "\n".join(extra_settings) + "\n"
        )
        env["PYTHONPATH"] = f"{folder}{os.pathsep}{ROOT}"
        module = "memory_run_settings"
    env["DUCK_SETTINGS_MODULE"] = module
    command = [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}"]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"duck runserver exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"duck runserver did not listen on {port} within {timeout}s")
