"""The load generator of bench/ws_bench.py: a minimal WebSocket client on raw asyncio sockets.

    python bench/ws_load.py echo --port 8000 --connections 16 --size 64 --duration 10 --server-pid PID
    python bench/ws_load.py idle --port 8000 --connections 10000 --server-pid PID

Prints one JSON object. It is benchmark code, not a WebSocket library: it speaks just enough of
RFC 6455 to drive a server as fast as one core allows, so that the server, not the client, is
what a run measures.

- The handshake is a fixed request; the response must be ``101`` (its ``Sec-WebSocket-Accept``
  is not checked). No extension is offered, so no server compresses, except in ``idle --deflate``.
- Every message a connection sends is the same text frame, masked once up front with a fixed
  key (RFC 6455 §5.3 wants unpredictable keys against proxy cache poisoning; the servers cannot
  tell, and unmask every frame as usual). Sending is one ``transport.write`` of those bytes.
- Server frames are unmasked; the parser reads lengths and opcodes, answers pings, and counts
  each TEXT/BINARY frame as one echo.
- ``echo``: each connection sends a message and waits for its echo before sending the next
  (closed loop; ``--window N`` keeps N messages in flight instead). A warm-up precedes the
  measured window, at both ends of which the server's CPU time is read from ``/proc``.
- ``idle``: opens ``--connections`` connections in batches, sends nothing, and reads the
  server's ``VmRSS`` before and after. ``--deflate`` offers permessage-deflate as browsers do
  (``client_max_window_bits``) and counts the connections that got it; ``--talk`` has each
  connection send one message first (compressed, RFC 7692 §7.2.1, where deflate was agreed) and
  read the echo, then stay silent ``--settle`` seconds; ``--talk-messages N`` sends N such
  messages one after another (the 57-byte messages fill a 4 KiB history of the client's after 72).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import os
import resource
import sys
import time
import zlib
from pathlib import Path
from typing import Any

_MASK = b"\x37\xfa\x21\x3d"
_OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING = 0x1, 0x2, 0x8, 0x9


def masked_frame(opcode: int, payload: bytes, mask: bytes = _MASK) -> bytes:
    """A complete client frame (FIN set, masked)."""
    size = len(payload)
    if size < 126:
        header = bytes([0x80 | opcode, 0x80 | size])
    elif size < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


# What Chromium and Firefox offer: permessage-deflate, any client window size the server picks.
DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"


def handshake_request(port: int, path: str, deflate: bool = False) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    offer = DEFLATE_OFFER if deflate else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n{offer}\r\n"
    ).encode()


class Stats:
    """Shared by all connections: echoes counted and round trips recorded while ``measuring``."""

    def __init__(self) -> None:
        self.measuring = False
        self.echoes = 0
        self.rtts: list[float] = []


class Client(asyncio.Protocol):
    """One connection: handshake, then echo rounds (or nothing, for the idle run)."""

    def __init__(self, request: bytes, frame: bytes, window: int, stats: Stats | None) -> None:
        self.request = request
        self.frame = frame
        self.window = window
        self.stats = stats
        self.transport: Any = None
        self.buffer = bytearray()
        self.open = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent: collections.deque[float] = collections.deque()
        self.running = False
        self.deflate = False  # the server accepted permessage-deflate
        self.echoed: asyncio.Future[None] | None = None  # set by the idle run's one exchange

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost during the handshake: {exc}"))

    def start(self) -> None:
        """Put ``window`` messages in flight; each echo then sends the next one."""
        self.running = True
        now = time.perf_counter()
        for _ in range(self.window):
            self.sent.append(now)
            self.transport.write(self.frame)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace")))
                self.transport.close()
                return
            self.open = True
            self.deflate = b"permessage-deflate" in head.lower()
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        stats = self.stats
        while len(buffer) >= 2:
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            end = start + length
            if len(buffer) < end:
                return
            opcode = buffer[0] & 0x0F
            if opcode in (_OP_TEXT, _OP_BINARY):
                if self.echoed is not None and not self.echoed.done():
                    self.echoed.set_result(None)
                sent = self.sent.popleft() if self.sent else None
                if self.running:
                    now = time.perf_counter()
                    if stats is not None and stats.measuring and sent is not None:
                        stats.echoes += 1
                        stats.rtts.append(now - sent)
                    self.sent.append(now)
                    self.transport.write(self.frame)
            elif opcode == _OP_PING:
                self.transport.write(masked_frame(0xA, bytes(buffer[start:end])))
            elif opcode == _OP_CLOSE:
                self.running = False
                self.transport.close()
            del buffer[:end]


async def open_connections(
    port: int,
    path: str,
    count: int,
    batch: int,
    frame: bytes,
    window: int,
    stats: Stats | None,
    deflate: bool = False,
) -> list[Client]:
    """Open ``count`` connections, ``batch`` handshakes at a time (a burst would overflow accept backlogs)."""
    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    while len(clients) < count:
        wave = [
            Client(handshake_request(port, path, deflate), frame, window, stats)
            for _ in range(min(batch, count - len(clients)))
        ]
        for client in wave:
            await loop.create_connection(lambda c=client: c, "127.0.0.1", port)
        await asyncio.wait_for(asyncio.gather(*(c.opened for c in wave)), 30)
        clients.extend(wave)
    return clients


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def close_all(clients: list[Client]) -> None:
    for client in clients:
        client.running = False
        if client.transport is not None:
            client.transport.abort()  # a benchmark teardown: no closing handshake to time


async def echo(args: argparse.Namespace) -> dict[str, Any]:
    stats = Stats()
    payload = (b"0123456789abcdef" * (args.size // 16 + 1))[: args.size]
    frame = masked_frame(_OP_TEXT if args.text else _OP_BINARY, payload)
    clients = await open_connections(args.port, args.path, args.connections, 100, frame, args.window, stats)
    for client in clients:
        client.start()
    await asyncio.sleep(args.warmup)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = cpu_seconds(args.server_pid) if args.server_pid else 0.0
    started = time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.duration)
    stats.measuring = False
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(args.server_pid) - server_before if args.server_pid else 0.0
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    alive = sum(client.open for client in clients)
    close_all(clients)
    rtts = sorted(stats.rtts)

    def percentile(p: float) -> float:
        return rtts[min(len(rtts) - 1, int(len(rtts) * p))] * 1000 if rtts else float("nan")

    own_cpu = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
    return {
        "messages": stats.echoes,
        "seconds": elapsed,
        "rate": stats.echoes / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "server_cpu_s": server_cpu,
        "client_cpu_share": own_cpu / elapsed,  # near 1.0 would mean the client was the bottleneck
        "alive": alive,
    }


def compressed_frame(payload: bytes) -> bytes:
    """A client text message compressed as RFC 7692 §7.2.1 says (RSV1 set, the 0x00 0x00 0xff 0xff tail removed).

    Compressed from an empty window with 9 window bits: valid whatever client_max_window_bits
    the server chose, and as the first message of any connection.
    """
    compressor = zlib.compressobj(wbits=-9)
    data = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    frame = bytearray(masked_frame(_OP_TEXT, data))
    frame[0] |= 0x40  # RSV1: "this message is compressed"
    return bytes(frame)


async def exchange(clients: list[Client], plain: bytes, compressed: bytes) -> None:
    """Each client sends one message (compressed where deflate was agreed) and waits for its echo."""
    loop = asyncio.get_running_loop()
    for client in clients:
        client.echoed = loop.create_future()
        client.transport.write(compressed if client.deflate else plain)
    await asyncio.wait_for(asyncio.gather(*(client.echoed for client in clients if client.echoed)), 60)


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    payload = b'{"user": "ann", "text": "hello, is anyone in this room?"}'
    plain, compressed = masked_frame(_OP_TEXT, payload), compressed_frame(payload)
    # One connection and one echo first, so lazily built state (URL conf, caches) is not counted.
    warm = await open_connections(args.port, args.path, 1, 1, plain, 1, None, args.deflate)
    await exchange(warm, plain, compressed)
    await asyncio.sleep(1.0)
    before = rss_kib(args.server_pid)
    clients = await open_connections(args.port, args.path, args.connections, args.batch, plain, 1, None, args.deflate)
    if args.talk:  # every connection uses its compression contexts, then falls silent
        for _ in range(args.talk_messages):
            await exchange(clients, plain, compressed)
    await asyncio.sleep(args.settle)  # the server finishes starting each handler (and releases idle contexts)
    after = rss_kib(args.server_pid)
    alive = sum(client.open for client in clients)
    negotiated = sum(client.deflate for client in clients)
    close_all(clients + warm)
    return {
        "opened": len(clients),
        "alive": alive,
        "deflate": negotiated,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": (after - before) / max(len(clients), 1),
    }


def raise_fd_limit() -> None:
    """10,000 sockets need more descriptors than the usual soft limit of 1024: take the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["echo", "idle"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/ws")
    parser.add_argument("--server-pid", type=int, default=0, help="read this process's CPU time and RSS")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--size", type=int, default=64, help="message payload bytes (echo)")
    parser.add_argument("--binary", dest="text", action="store_false", help="binary messages instead of text")
    parser.add_argument("--window", type=int, default=1, help="messages in flight per connection (echo)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (echo)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (echo)")
    parser.add_argument("--batch", type=int, default=200, help="handshakes in flight at once (idle)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before reading RSS (idle)")
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate as browsers do (idle)")
    parser.add_argument("--talk", action="store_true", help="one message per connection before going idle (idle)")
    parser.add_argument(
        "--talk-messages", type=int, default=1, help="messages each connection sends with --talk, one at a time (idle)"
    )
    args = parser.parse_args(argv)
    raise_fd_limit()
    coroutine = echo(args) if args.mode == "echo" else idle(args)
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        result = asyncio.run(coroutine)
    else:
        result = uvloop.run(coroutine)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
