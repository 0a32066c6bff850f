"""Broadcast groups: send one message to many WebSocket connections, in one process or across many.

::

    from duck.contrib.websockets import groups

    await groups.add("room", conn)                  # conn: a connection, a WebSocketView, a
    await groups.send("room", "hi", exclude=conn)   # WebSocket (@websocket) or request.websocket
    await groups.send("room", {"user": "ann"})      # anything else is sent as JSON text
    await groups.discard("room", conn)              # closing a connection does this for every group
    groups.send_sync("room", "hi")                  # from a sync view or handler (worker thread)

A send never waits for a slow client: the message is encoded once and written to each member
that keeps up; a member with ``GROUPS_MAX_BUFFER`` bytes or more still waiting gets the
``GROUPS_OVERFLOW_POLICY`` ("close": closed with 1013, "drop": it misses this message).

``GROUPS_BACKEND`` picks how messages reach members: ``"memory"`` (this process only) or
``"redis"`` (every process and machine sharing one Redis). The backend is created per event
loop on first use and closed with the server (``shutdown_tasks`` at shutdown, or ASGI lifespan
shutdown) or by :func:`aclose`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

from duck.conf import settings
from duck.contrib.websockets.connection import PreparedFrame, WebSocketConnection
from duck.contrib.websockets.groups.base import Backend, MemoryBackend
from duck.contrib.websockets.groups.local import check_group, to_connection
from duck.http.response import compact_json
from duck.utils.asyncio import run_coroutine_from_sync
from duck.utils.asyncio.supervisor import spawn

__all__ = [
    "Backend",
    "MemoryBackend",
    "aclose",
    "add",
    "add_sync",
    "discard",
    "discard_sync",
    "get_backend",
    "groups_of",
    "members",
    "prepare",
    "send",
    "send_sync",
]

T = TypeVar("T")

# One backend per event loop: duck's server runs one loop per process, tests one per test.
_backends: dict[asyncio.AbstractEventLoop, Backend] = {}


def get_backend() -> Backend:
    """The backend of the running event loop, created on first use from ``GROUPS_BACKEND``.

    Raises:
        RuntimeError: no event loop is running in this thread (sync code: use the ``*_sync`` functions).
        ImproperlyConfigured: the redis backend is chosen but redis-py is not installed.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "duck.contrib.websockets.groups needs a running event loop; from sync code (a sync view or "
            "handler in a worker thread) use groups.add_sync / send_sync / discard_sync."
        ) from None
    backend = _backends.get(loop)
    if backend is None or backend.closed:
        backend = _backends[loop] = _new_backend()
        for stale in [other for other in list(_backends) if other.is_closed()]:
            _backends.pop(stale, None)  # loops that ended without closing their backend (tests)
    return backend


def _new_backend() -> Backend:
    if settings.GROUPS_BACKEND == "redis":
        from duck.contrib.websockets.groups.redis_backend import RedisBackend

        return RedisBackend.from_settings()
    return MemoryBackend()


def prepare(message: Any) -> PreparedFrame:
    """Encode ``message`` once: ``str`` as text, bytes as binary, anything else as compact JSON text.

    JSON uses duck's encoder (dates, UUIDs, decimals, sets), like ``WebSocketView.send_json``.
    """
    if isinstance(message, PreparedFrame):
        return message
    if isinstance(message, (str, bytes, bytearray, memoryview)):
        return PreparedFrame(message)
    text = compact_json(message)
    return PreparedFrame(text)


async def add(group: str, member: Any) -> None:
    """Make ``member`` part of ``group``; it leaves by itself when its connection closes.

    With the Redis backend this returns once Redis confirmed the subscription (bounded by
    ``GROUPS_REDIS_TIMEOUT``), so a message sent afterwards from any process reaches it.
    """
    await get_backend().add(check_group(group), to_connection(member))


async def discard(group: str, member: Any) -> None:
    """Take ``member`` out of ``group`` (nothing happens if it was not in it)."""
    await get_backend().discard(check_group(group), to_connection(member))


async def send(group: str, message: Any, *, exclude: Any = None) -> None:
    """Send ``message`` to every member of ``group``, in every process, except ``exclude``.

    Returns once the message is handed over (written to local members' sockets, or published
    to Redis); it never waits for a client to read.

    Args:
        group: the group's name.
        message: ``str`` (text), bytes (binary), a :class:`PreparedFrame`, or any
            JSON-serializable value (sent as JSON text).
        exclude: a member not to send to (usually the sender itself).
    """
    frame = prepare(message)
    excluded = None if exclude is None else to_connection(exclude)
    await get_backend().send(check_group(group), frame, excluded)


def members(group: str) -> frozenset[WebSocketConnection]:
    """The members of ``group`` connected to this process (other processes' members are not known here).

    Works from a worker thread too (it asks the server's loop).
    """
    check_group(group)
    return _read(lambda backend: backend.local.members(group))


def groups_of(member: Any) -> frozenset[str]:
    """The groups ``member`` is in (works from a worker thread too)."""
    connection = to_connection(member)
    return _read(lambda backend: backend.local.groups_of(connection))


def _read(query: Callable[[Backend], T]) -> T:
    """Run ``query`` on the loop's backend: directly on the loop's thread, through the loop from others."""
    if _on_loop_thread():
        return query(get_backend())

    async def on_loop() -> T:
        return query(get_backend())

    return run_coroutine_from_sync(on_loop())


async def aclose() -> None:
    """Close the running loop's backend (its Redis connections); the next use starts a new one.

    Servers do this at shutdown; call it yourself when using groups without duck's server or an
    ASGI lifespan (scripts, tests).
    """
    loop = asyncio.get_running_loop()
    backend = _backends.pop(loop, None)
    if backend is not None:
        await backend.aclose()


# -- from sync code ----------------------------------------------------------------------------------
def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def send_sync(group: str, message: Any, *, exclude: Any = None, timeout: float | None = None) -> None:
    """:func:`send` from sync code.

    In a worker thread (a sync view, a sync dwebsocket handler) it runs on the server's loop and
    blocks until the message is handed over (at most ``timeout`` seconds). Called on the event
    loop's own thread (sync code called from a coroutine) it cannot block: the send is scheduled
    as a task and the call returns at once.

    Raises:
        RuntimeError: no server loop is known (see :func:`duck.utils.asyncio.run_coroutine_from_sync`).
        TimeoutError: the send took longer than ``timeout``.
    """
    frame = prepare(message)  # encoded in the calling thread, off the event loop
    if _on_loop_thread():
        # Owned by the server, not by the connection whose code called this: its close must
        # not cancel a broadcast already under way.
        spawn(send(group, frame, exclude=exclude), name=f"groups.send {group!r}", context=contextvars.Context())
        return
    run_coroutine_from_sync(send(group, frame, exclude=exclude), timeout)


def add_sync(group: str, member: Any, *, timeout: float | None = None) -> None:
    """:func:`add` from a worker thread (blocks until done, at most ``timeout`` seconds)."""
    run_coroutine_from_sync(add(group, member), timeout)


def discard_sync(group: str, member: Any, *, timeout: float | None = None) -> None:
    """:func:`discard` from a worker thread (blocks until done, at most ``timeout`` seconds)."""
    run_coroutine_from_sync(discard(group, member), timeout)
