"""The floor of bench/fanout_bench.py: a broadcast that is nothing but one ``write`` system call per client.

Run: ``python bench/fanout_floor_app.py PORT``. Not a framework and not a WebSocket server anyone
should use: just enough RFC 6455 for the benchmark's clients and sender (the handshake, one text
frame, the sender's masked frames) on uvloop. A message from a client is written, as one
pre-encoded frame, with ``os.write`` straight to every other client's socket: no transport, no
buffer, no flow control, no per-client Python beyond the call. What this takes on a machine is
what the kernel charges for N small TCP sends there, the lower bound of any server in the table.
The sender then gets ``stats T0 T1 USER_S SYSTEM_S``, as from bench/fanout_duck_app.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import resource
import signal
import sys
import time
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


def text_frame(payload: bytes) -> bytes:
    """An unmasked server text frame (FIN set)."""
    size = len(payload)
    if size < 126:
        return bytes([0x81, size]) + payload
    if size < 65536:
        return bytes([0x81, 126]) + size.to_bytes(2, "big") + payload
    return bytes([0x81, 127]) + size.to_bytes(8, "big") + payload


class Room:
    def __init__(self) -> None:
        self.members: dict[Any, int] = {}  # client -> socket descriptor

    def broadcast(self, sender: Any, payload: bytes) -> None:
        frame = text_frame(payload)
        began, before = time.time(), resource.getrusage(resource.RUSAGE_SELF)
        write = os.write
        for client, fd in self.members.items():
            if client is not sender:
                try:
                    write(fd, frame)
                except OSError:  # a full or closed socket: the floor drops it
                    pass
        ended, after = time.time(), resource.getrusage(resource.RUSAGE_SELF)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        sender.transport.write(text_frame(f"stats {began:.6f} {ended:.6f} {user:.6f} {system:.6f}".encode()))


class Client(asyncio.Protocol):
    def __init__(self, room: Room) -> None:
        self.room = room
        self.buffer = bytearray()
        self.open = False
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.room.members.pop(self, None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.open:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = bytes(self.buffer[:end]), self.buffer[end + 4 :]
            fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
            key = next(value.strip() for name, value in fields.items() if name.lower() == b"sec-websocket-key")
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + text_frame(b"welcome")
            )
            self.open = True
            self.room.members[self] = self.transport.get_extra_info("socket").fileno()
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + 4 + length:
                return
            mask = buffer[start : start + 4]
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(buffer[start + 4 : start + 4 + length]))
            del buffer[: start + 4 + length]
            if opcode == 0x1:
                self.room.broadcast(self, payload)
            elif opcode == 0x8:
                self.transport.write(bytes([0x88, len(payload)]) + payload)
                self.transport.close()


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    room = Room()
    server = await loop.create_server(lambda: Client(room), "127.0.0.1", port, backlog=4096)
    async with server:
        await stop


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
