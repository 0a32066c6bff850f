"""A raw client that completes the WebSocket handshake and then stops reading: the stalled client.

It is built on an asyncio socket with a 4 KiB receive buffer and websockets' sans-I/O
``ClientProtocol`` (so the handshake and the frames it finally reads are checked by an
independent implementation). After the server's hello it pauses reading: the server's
writes pile up in the kernel, then in the transport, as with a client that hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

WAIT = 5.0


class StalledClient:
    """One raw WebSocket client; ``texts`` collects text messages read so far."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: ClientProtocol) -> None:
        self.reader = reader
        self.writer = writer
        self.client = client
        self.texts: list[str] = []
        self.close_code: int | None = None

    @classmethod
    async def open(cls, url: str) -> StalledClient:
        """Connect, complete the handshake, read the server's first text message, then stop reading."""
        host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, int(port))), WAIT)
            reader, writer = await asyncio.open_connection(sock=sock)
        except BaseException:
            sock.close()
            raise
        client = ClientProtocol(parse_uri(url))
        client.send_request(client.connect())
        stalled = cls(reader, writer, client)
        stalled._write_out()
        await stalled.read_until(lambda: bool(stalled.texts))
        writer.transport.pause_reading()  # from now on the server's bytes stay in the kernel and its buffers
        return stalled

    def _write_out(self) -> None:
        data = b"".join(self.client.data_to_send())
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def resume(self) -> None:
        """Read again (the client catches up)."""
        self.writer.transport.resume_reading()

    async def read_until(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        """Read and parse frames until ``predicate()`` holds or the connection ends."""

        async def until() -> None:
            while not predicate():
                data = await self.reader.read(65536)
                if not data:
                    return
                self.client.receive_data(data)
                for event in self.client.events_received():
                    self._on_event(event)

        await asyncio.wait_for(until(), timeout)

    def _on_event(self, event: Frame | Response) -> None:
        if isinstance(event, Response):
            if event.status_code != 101:
                raise AssertionError(f"handshake refused: {event.status_code}")
        elif event.opcode is Opcode.TEXT:
            self.texts.append(event.data.decode())
        elif event.opcode is Opcode.CLOSE:
            self.close_code = struct.unpack("!H", event.data[:2])[0] if len(event.data) >= 2 else 1005

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await asyncio.wait_for(self.writer.wait_closed(), WAIT)
