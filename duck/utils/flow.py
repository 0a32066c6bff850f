"""Flow control and the one deadline timer, shared by duck's HTTP and WebSocket protocols.

Both protocols write to an asyncio transport that may fill up (a client that stops reading) and
both guard their connection with deadlines that mostly move later (each request, each frame). The
glue for both is here once:

- :class:`WriteFlow`: the transport calls ``pause_writing``/``resume_writing``; senders ``await
  drain()`` while it is paused (uvicorn's FlowControl, shared by every sender of a connection);
- :class:`LazyTimer`: one ``loop.call_at`` handle per connection, moved only when a deadline comes
  *sooner*; when a later deadline is asked for, the handle stays and the callback, which re-checks
  the real deadline, re-arms itself. Moving a deadline later (every frame) then costs nothing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

__all__ = ["LazyTimer", "WriteFlow", "close_lost_transport"]

# Before Python 3.11, asyncio's TLS transport is not marked closed when its connection is lost
# (unless the loss came during the handshake), and says it was never closed (ResourceWarning)
# when collected, unless its protocol closed it.
_LOST_TLS_STAYS_OPEN = sys.version_info < (3, 11)


def close_lost_transport(transport: asyncio.BaseTransport) -> None:
    """Called from ``connection_lost``: mark the transport closed where asyncio does not.

    The socket is gone already; on a transport that is, ``close()`` only sets the flag.
    """
    if _LOST_TLS_STAYS_OPEN and not transport.is_closing():
        transport.close()


class WriteFlow:
    """Whether a transport's write buffer has room, and a way for senders to wait until it has.

    Attributes:
        paused: True while the transport's buffer is above its high-water mark (read it, never
            set it: :meth:`pause` and :meth:`resume` do). A plain attribute, not a property:
            every WebSocket send and every broadcast member reads it.
    """

    __slots__ = ("_lost", "_waiter", "paused")

    def __init__(self) -> None:
        self.paused = False
        self._lost = False
        self._waiter: asyncio.Future[None] | None = None

    def pause(self) -> None:
        """The transport's ``pause_writing``."""
        self.paused = True

    def resume(self) -> None:
        """The transport's ``resume_writing``: wake every sender."""
        self.paused = False
        self._wake()

    def lost(self) -> None:
        """The connection is gone: wake every sender, for good."""
        self._lost = True
        self._wake()

    async def drain(self) -> bool:
        """Wait while the buffer is full; False when the connection was lost instead.

        One future is shared by every waiting sender and shielded, so that one sender's
        cancellation does not wake (or cancel) the others.
        """
        while self.paused and not self._lost:
            waiter = self._waiter
            if waiter is None or waiter.done():
                waiter = self._waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(waiter)
        return not self._lost

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class LazyTimer:
    """One timer handle for a deadline that moves, calling ``callback`` no later than asked.

    The callback may run before the latest deadline (one asked for earlier, and later pushed back):
    it must check the deadline it guards and call :meth:`at` again if that has not come.
    """

    __slots__ = ("_callback", "_handle", "_loop", "_when")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0

    def at(self, when: float) -> None:
        """Make sure the callback runs at ``when`` or earlier."""
        handle = self._handle
        if handle is not None:
            if self._when <= when:
                return  # it fires sooner; the callback re-arms for the rest
            handle.cancel()
        self._handle = self._loop.call_at(when, self._fire)
        self._when = when

    def cancel(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()

    def close(self) -> None:
        """Cancel, and forget the callback for good.

        The callback is usually a bound method of the timer's owner, which holds the timer: a
        reference cycle that only the cyclic garbage collector would break. Closing it when the
        owner is done lets reference counting free both at once.
        """
        self.cancel()
        self._callback = _nothing

    def _fire(self) -> None:
        self._handle = None
        self._callback()


def _nothing() -> None:
    """What a closed :class:`LazyTimer` calls, should a stale handle still fire."""
