"""One client process of bench/fanout_bench.py: N raw WebSocket connections on one epoll loop.

    python bench/fanout_clients.py HOST PORT PATH N

Each socket has ``SO_TIMESTAMPNS`` on: the kernel stamps every read with the time the bytes
reached the socket, so an arrival time does not depend on when this process got round to
reading it. The figures are then the server's, however slow the clients are. A fixed
handshake and a minimal parser of the server's unmasked frames. Lines on stdin/stdout:

- prints ``ready N`` once every connection got its "welcome" (it is in the room);
- prints ``done ROUND FIRST LAST FINISHED CPU`` once every connection received the message
  ``"ROUND T0"``: the kernel arrival times (``time.time()`` clock) of the first and the last copy,
  when this process had read and parsed the last one, and the CPU seconds (user + system) it
  spent since its previous line: what shows whether the clients kept up;
- exits, closing every connection, on ``quit`` or end of stdin.
"""

from __future__ import annotations

import errno
import os
import resource
import selectors
import socket
import struct
import sys
import time

# Handshakes in flight at once; the server's listen backlog never overflows.
_CONNECT_CONCURRENCY = 200
_CONNECT_TIMEOUT = 120.0
_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # any 16-byte base64 nonce (RFC 6455 §4.1); the reply is not checked
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python does not name it everywhere
_ANCILLARY = socket.CMSG_SPACE(16)  # one struct timespec


class Room:
    """What the connections of this process have received."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.welcomed = 0
        self.rounds: dict[bytes, list[float]] = {}  # round -> [count, first, last]
        self.cpu = _cpu_seconds()

    def on_text(self, payload: bytes, arrived: float) -> None:
        if payload == b"welcome":
            self.welcomed += 1
            return
        round_id = payload.split(b" ", 1)[0]
        seen = self.rounds.get(round_id)
        if seen is None:
            seen = self.rounds[round_id] = [0, arrived, arrived]
        seen[0] += 1
        seen[1] = min(seen[1], arrived)
        seen[2] = max(seen[2], arrived)
        if seen[0] == self.size:
            finished, cpu = time.time(), _cpu_seconds()
            spent, self.cpu = cpu - self.cpu, cpu
            print(f"done {round_id.decode()} {seen[1]:.6f} {seen[2]:.6f} {finished:.6f} {spent:.6f}", flush=True)
            del self.rounds[round_id]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Connection:
    """One client socket: handshake, then frames; answers pings (client frames are masked)."""

    __slots__ = ("buffer", "room", "sock", "switched")

    def __init__(self, sock: socket.socket, room: Room) -> None:
        self.sock = sock
        self.room = room
        self.buffer = bytearray()
        self.switched = False

    def readable(self) -> bool:
        """Read what arrived; False once the server closed the connection."""
        try:
            data, ancillary, _flags, _address = self.sock.recvmsg(65536, _ANCILLARY)
        except BlockingIOError:
            return True
        if not data:
            return False
        arrived = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                arrived = seconds + nanoseconds / 1e9
        self.buffer += data
        if not self.switched and not self._switch():
            return True
        self._frames(arrived)
        return True

    def _switch(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        if not self.buffer.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {bytes(self.buffer[:40])!r}")
        del self.buffer[: end + 4]
        self.switched = True
        return True

    def _frames(self, arrived: float) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                self.room.on_text(payload, arrived)
            elif opcode == 0x9 and len(payload) < 126:
                # A pong with a zero masking key: the mask bit is set as RFC 6455 §5.3 requires,
                # and XOR with zeros leaves the payload as it is.
                self.sock.send(bytes([0x8A, 0x80 | len(payload)]) + b"\x00\x00\x00\x00" + payload)


def open_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    sock.setblocking(False)
    code = sock.connect_ex((host, port))
    if code not in (0, errno.EINPROGRESS):
        sock.close()
        raise OSError(code, os.strerror(code))
    return sock


def connect_all(
    selector: selectors.BaseSelector, host: str, port: int, path: str, room: Room, connections: list[Connection]
) -> None:
    """Open ``room.size`` connections into ``connections``, at most ``_CONNECT_CONCURRENCY`` handshakes at a time."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + _CONNECT_TIMEOUT
    while room.welcomed < room.size:
        while len(connections) < room.size and len(connections) - room.welcomed < _CONNECT_CONCURRENCY:
            connection = Connection(open_socket(host, port), room)
            selector.register(connection.sock, selectors.EVENT_WRITE, connection)
            connections.append(connection)
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {room.welcomed} of {room.size} connections welcomed")
        for key, events in selector.select(1.0):
            connection = key.data
            if events & selectors.EVENT_WRITE:  # connected: send the handshake, then only read
                connection.sock.send(request)
                selector.modify(connection.sock, selectors.EVENT_READ, connection)
            elif not connection.readable():
                raise RuntimeError("the server closed a connection during the handshake")


def serve_rounds(selector: selectors.BaseSelector) -> None:
    """Read until "quit" or end of stdin."""
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    while True:
        for key, _events in selector.select():
            if key.data is None:
                line = os.read(sys.stdin.fileno(), 4096)
                if not line or b"quit" in line:
                    return
            elif not key.data.readable():
                selector.unregister(key.fileobj)


def main() -> None:
    host, port, path, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    room = Room(size)
    selector = selectors.DefaultSelector()
    connections: list[Connection] = []
    try:
        connect_all(selector, host, port, path, room, connections)
        print(f"ready {len(connections)}", flush=True)
        serve_rounds(selector)
    finally:
        for connection in connections:
            connection.sock.close()
        selector.close()


if __name__ == "__main__":
    main()
