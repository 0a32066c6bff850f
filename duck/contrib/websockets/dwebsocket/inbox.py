"""The message queue behind ``request.websocket``: filled on the event loop, read from a thread or the loop.

dwebsocket's API needs to know what has arrived *without* waiting (``read()``,
``count_messages()``, ``has_messages()``), which a pull-only connection cannot say. So one
reader task per connection pulls messages off the :class:`WebSocketConnection` into an
:class:`Inbox`::

    client ─► WebSocketConnection.receive() ─► reader task ─► Inbox ─► wait()/read() (worker thread or loop)

The inbox is bounded in bytes (the route's ``receive_high_water``, ``WEBSOCKET_RECEIVE_HIGH_WATER``):
when a view reads slower than its client writes, the reader stops pulling, the connection's own
queue fills, and the server stops reading the socket, so TCP pushes back on the client instead
of memory growing.

Thread-safety: the deque and the closed flag are guarded by one ``threading.Condition``; the
event loop only ever holds that lock for an append or a flag flip, so a blocked worker thread
never stalls the loop.
"""

from __future__ import annotations

import asyncio
import threading
import time

from duck.contrib.websockets.connection import Message, WebSocketConnection
from duck.contrib.websockets.receive_queue import ReceiveQueue
from duck.exceptions import ConnectionClosed
from duck.utils.asyncio import running_loop
from duck.utils.asyncio.supervisor import spawn

__all__ = ["Inbox", "Payload"]

Payload = str | bytes

# Bytes queued for a view before the reader stops pulling, until the connection says otherwise.
_DEFAULT_HIGH_WATER = 1024 * 1024


class Inbox:
    """Messages received on one connection and not yet read by the view.

    Written only on the event loop (:meth:`put`, :meth:`close`); read from the loop
    (:meth:`get_async`) or from any thread (:meth:`get_blocking`, :meth:`pop`, :meth:`__len__`).
    """

    __slots__ = ("_arrived", "_closed", "_cond", "_items", "_loop", "_space", "_task")

    def __init__(self, loop: asyncio.AbstractEventLoop, high_water: int = _DEFAULT_HIGH_WATER) -> None:
        self._loop = loop
        self._items: ReceiveQueue[Payload] = ReceiveQueue(high_water)
        self._closed = False
        self._cond = threading.Condition()
        self._arrived = asyncio.Event()  # wakes coroutines waiting in get_async()
        self._space = asyncio.Event()  # set while the reader may pull more messages
        self._space.set()
        self._task: asyncio.Task[None] | None = None

    # -- the reader (event loop) -----------------------------------------------------------------
    def start(self, connection: WebSocketConnection) -> None:
        """Start pulling messages off ``connection``; the task ends with the connection."""
        name = f"dwebsocket reader {connection.request.path}"
        self._task = spawn(self._pump(connection), name=name, owner=connection)

    async def _pump(self, connection: WebSocketConnection) -> None:
        try:
            while True:
                await self._space.wait()
                message = await connection.receive()
                self.put(message)
        except ConnectionClosed:
            pass
        finally:
            self.close()  # also when cancelled: the connection closed and cancelled its tasks

    def put(self, message: Message) -> None:
        with self._cond:
            full = self._items.put(message.data, len(message))
            self._cond.notify_all()
        if full:
            self._space.clear()
        self._arrived.set()

    def close(self) -> None:
        """No more messages will come: waiters get what is queued, then None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._arrived.set()
        self._space.set()

    def stop(self) -> None:
        """Stop the reader (the view is done with the connection)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # -- the view's side -------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def pop(self) -> Payload | None:
        """The oldest queued message, or None if none is queued (never waits)."""
        with self._cond:
            item = self._items.get() if self._items else None
            room = self._items.has_room
        if item is not None and room and not self._space.is_set():
            self._resume_reader()
        return item

    def get_blocking(self, timeout: float | None, check_every: float) -> Payload | None:
        """Wait in a worker thread for a message; None once the connection closed and the queue is empty.

        ``check_every`` bounds each wait on the condition, so a thread never outlives a loop
        that was torn down without closing the connection.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:  # a Condition's lock is re-entrant: pop() may take it again
            while True:
                item = self.pop()
                if item is not None or self._closed or self._loop.is_closed():
                    return item
                remaining = check_every if deadline is None else min(check_every, deadline - time.monotonic())
                if remaining <= 0:
                    raise TimeoutError(f"No WebSocket message arrived within {timeout} seconds.")
                self._cond.wait(remaining)

    async def get_async(self, timeout: float | None) -> Payload | None:
        """Wait on the event loop for a message; None once the connection closed and the queue is empty.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
        """
        try:
            return await asyncio.wait_for(self._next_async(), timeout)
        except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
            raise TimeoutError(f"No WebSocket message arrived within {timeout} seconds.") from None

    async def _next_async(self) -> Payload | None:
        while True:
            item = self.pop()
            if item is not None or self._closed:
                return item
            self._arrived.clear()  # safe: put() and close() run on this same loop
            await self._arrived.wait()

    def _resume_reader(self) -> None:
        if running_loop() is self._loop:
            self._space.set()
            return
        try:
            self._loop.call_soon_threadsafe(self._space.set)
        except RuntimeError:
            pass  # the loop is closed: there is no reader left to resume

    def __repr__(self) -> str:
        return f"<Inbox {len(self._items)} queued{' closed' if self._closed else ''}>"
