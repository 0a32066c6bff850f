"""One worker thread per sync WebSocket view, and the bound on how many run at once.

A sync dwebsocket view lives as long as its connection (minutes, hours), so it cannot borrow a
thread from the sync-view pool (``SYNC_VIEW_THREADS``), where it would starve short HTTP
views. Each one gets its own daemon thread instead; ``WEBSOCKET_SYNC_THREADS`` caps how many
exist. A handshake that would exceed the cap is refused with 503 *before* switching
protocols, so the client is told at once instead of hanging on an accepted socket nobody serves.

A slot is taken when the view answers the handshake and released when the thread ends (or,
if the connection never started, when the server discards the response).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from duck.conf import settings

# The private helper sets the worker-thread loop for async_to_sync/create_task_threadsafe.
from duck.utils.sync import call_in_worker_thread

__all__ = ["SyncSlot", "reserve_slot", "run_in_own_thread", "running_threads"]

T = TypeVar("T")

logger = logging.getLogger("duck.websockets")

_lock = threading.Lock()
_running = 0
_names = itertools.count(1)


class SyncSlot:
    """A reserved place for one sync WebSocket view thread; :meth:`release` is idempotent."""

    __slots__ = ("_released",)

    def __init__(self) -> None:
        self._released = False

    def release(self) -> None:
        global _running
        with _lock:
            if self._released:
                return
            self._released = True
            _running -= 1

    @property
    def released(self) -> bool:
        return self._released

    def __repr__(self) -> str:
        return f"<SyncSlot {'released' if self._released else 'held'}>"


def reserve_slot() -> SyncSlot | None:
    """Take a slot if fewer than ``WEBSOCKET_SYNC_THREADS`` sync views run; None when full."""
    global _running
    limit = settings.WEBSOCKET_SYNC_THREADS
    with _lock:
        if _running >= limit:
            return None
        _running += 1
    return SyncSlot()


def running_threads() -> int:
    """How many slots are held right now (sync WebSocket views running or about to)."""
    return _running


async def run_in_own_thread(slot: SyncSlot, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``func`` in a new daemon thread and await its result; the thread releases ``slot`` when it ends.

    The thread runs in a copy of the caller's context (so tasks it starts with
    ``create_task_threadsafe`` belong to the caller's connection) and knows the caller's loop
    (so ``async_to_sync`` works inside it). If the awaiting task is cancelled (server
    shutdown) the thread is left to finish: the connection is closed, so a view blocked in
    ``wait()`` returns promptly, and a daemon thread never holds up process exit.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def target() -> None:
        outcome: tuple[bool, Any] = (False, RuntimeError("the sync WebSocket view's thread died"))
        try:
            outcome = (True, call_in_worker_thread(loop, context, func, args, kwargs))
        except Exception as exc:
            outcome = (False, exc)
        finally:
            slot.release()  # before the loop hears of it: a close frame the client sees next means "slot free"
            _deliver(loop, future, *outcome)

    thread = threading.Thread(target=target, name=f"duck-ws-sync-{next(_names)}", daemon=True)
    try:
        thread.start()
    except BaseException:
        slot.release()
        raise
    return await future


def _deliver(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    def settle() -> None:
        if future.done():  # the awaiting task was cancelled meanwhile (server shutdown)
            if not ok:
                logger.debug("A sync WebSocket view raised after its connection was gone: %r", value)
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:
        pass  # the loop is closed (process exiting): nobody is waiting any more
