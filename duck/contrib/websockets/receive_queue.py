"""Messages received and not yet read, bounded in bytes: the receive side's flow control.

A pure object (no asyncio, no socket): the connection puts each complete message in and learns
whether it should stop reading the socket; a reader takes messages out and learns whether reading
may resume. Bounding *bytes* rather than messages is what gives one connection a memory ceiling
that can be stated: with 1 MiB messages allowed, 32 queued messages were 32 MiB per connection.

Reading pauses once the queue holds ``high`` bytes or more (TCP then pushes back on the client)
and resumes when it drops to ``low`` or below; the gap keeps a steady stream from toggling the
socket on every message. One message larger than ``high`` is still taken (it was already
received and fits the message-size cap); reading simply pauses after it.
"""

from __future__ import annotations

import collections
from typing import Generic, TypeVar

__all__ = ["ReceiveQueue"]

T = TypeVar("T")


class ReceiveQueue(Generic[T]):
    """A FIFO of messages with a byte count and high/low water marks.

    Args:
        high: bytes queued at which the reader should stop pulling from the socket.
        low: bytes queued at or below which it may pull again (default: a quarter of ``high``).
    """

    __slots__ = ("_items", "_size", "high", "low")

    def __init__(self, high: int, low: int | None = None) -> None:
        if high < 1:
            raise ValueError("high must be at least 1 byte")
        self.high = high
        self.low = high // 4 if low is None else min(low, high)
        self._items: collections.deque[tuple[T, int]] = collections.deque()
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes queued."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def put(self, item: T, size: int) -> bool:
        """Queue ``item`` of ``size`` bytes; True when the queue is now full (stop reading)."""
        self._items.append((item, size))
        self._size += size
        return self._size >= self.high

    def get(self) -> T:
        """Take the oldest message (IndexError when empty)."""
        item, size = self._items.popleft()
        self._size -= size
        return item

    @property
    def has_room(self) -> bool:
        """True when the queue has drained to the low-water mark (reading may resume)."""
        return self._size <= self.low

    def clear(self) -> None:
        """Drop every queued message (the connection is gone)."""
        self._items.clear()
        self._size = 0
