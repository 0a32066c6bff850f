"""WebSocket views the tests drive; each records what happened in ``log`` (passed with as_view(log=...))."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from duck.contrib.websockets import OpCode, WebSocketView
from duck.utils.asyncio import create_task


class MyWebSocket(WebSocketView):
    """The seeds' quick example, verbatim apart from print()."""

    async def on_open(self):
        self.opened = True

    async def on_receive(self, data: bytes, opcode: int):
        if opcode == OpCode.TEXT:
            message = "You sent " + data.decode("utf-8")
            await self.send_text(message)
        else:
            # Handle binary frames here
            pass


class Recorder(WebSocketView):
    """Echoes text as "You sent ..." and binary as is; records open/receive/close."""

    RECEIVE_TIMEOUT = None
    log: list[Any] | None = None

    def record(self, *event: Any) -> None:
        if self.log is not None:
            self.log.append(event if len(event) > 1 else event[0])

    async def on_open(self) -> None:
        self.record("open")

    async def on_receive(self, data: bytes, opcode: int) -> None:
        self.record("receive", opcode, data)
        if data == b"close-me":
            await self.close(4000, "bye")
        elif data == b"boom":
            raise RuntimeError("boom in on_receive")
        elif opcode == OpCode.TEXT:
            await self.send_text("You sent " + data.decode())
        else:
            await self.send_binary(data)

    async def on_close(self) -> None:
        self.record("close", self.close_code)


class CodeOnClose(Recorder):
    async def on_close(self, code: int) -> None:  # type: ignore[override]
        self.record("close-with-code", code)


class FailingOpen(Recorder):
    async def on_open(self) -> None:
        raise ValueError("boom in on_open")


class Chat(Recorder):
    SUBPROTOCOLS: ClassVar[list[str]] = ["chat.v2", "chat.v1"]

    async def on_open(self) -> None:
        self.record("subprotocol", self.subprotocol)


class Notifications(Recorder):
    """The seeds' live notifications, with a short period; records each push and how the loop ended."""

    period = 0.01

    async def on_open(self) -> None:
        self.record("open")
        create_task(self.push_notifications())

    async def push_notifications(self) -> None:
        count = 0
        try:
            while True:
                await asyncio.sleep(self.period)
                count += 1
                await self.send_text(f"Notification #{count}")
        except asyncio.CancelledError:
            self.record("push-cancelled")
            raise


class SendsAfterClose(Recorder):
    """A background task that keeps sending: it must stop quietly (ConnectionClosed, not an error)."""

    async def on_open(self) -> None:
        create_task(self.pusher())

    async def pusher(self) -> None:
        # Shielded from cancellation on purpose: the task must end through ConnectionClosed.
        while True:
            try:
                await asyncio.shield(asyncio.sleep(0.005))
            except asyncio.CancelledError:
                pass
            await self.send_text("tick")


class Ordered(Recorder):
    """Yields inside on_receive: messages must still be handled one at a time, in order."""

    async def on_receive(self, data: bytes, opcode: int) -> None:
        self.record("start", data)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        self.record("end", data)


class Broadcast(Recorder):
    """Sends a prepared frame given in ``frame`` on open."""

    frame: Any = None

    async def on_open(self) -> None:
        await self.connection.send_prepared(self.frame)
