"""Background tasks done right: ``create_task`` and friends.

``create_task`` is ``asyncio.create_task`` with three fixes (see :mod:`.supervisor`):

- the task is referenced until it ends, so it is never garbage-collected mid-flight;
- its exception is logged with the traceback on the ``duck.tasks`` logger (never
  "Task exception was never retrieved");
- it is tied to its owner: started while a WebSocket connection's handlers run, it is
  cancelled when that connection closes; otherwise the server cancels and awaits it at
  shutdown (:func:`shutdown_tasks`, bounded by ``TASKS_SHUTDOWN_TIMEOUT``).

Sync code in a worker thread (a sync view, a dwebsocket-style handler) reaches the
server's event loop with :func:`create_task_threadsafe` and :func:`run_coroutine_from_sync`.

Example::

    from duck.utils.asyncio import create_task

    class NotificationSocket(WebSocketView):
        async def on_open(self):
            create_task(self.push_notifications())  # stops when the client leaves
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from duck.utils.asyncio.supervisor import TaskOwner, current_owner, spawn, supervisor
from duck.utils.sync import current_loop

__all__ = [
    "TaskOwner",
    "create_task",
    "create_task_threadsafe",
    "current_owner",
    "get_server_loop",
    "run_coroutine_from_sync",
    "running_loop",
    "set_server_loop",
    "shutdown_tasks",
]

T = TypeVar("T")

_server_loop: asyncio.AbstractEventLoop | None = None


def create_task(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """Start ``coro`` in the background, owned by the current connection or by the server.

    Args:
        coro: the coroutine to run.
        name: a name for logs (defaults to asyncio's ``Task-N``).

    Returns:
        The task; awaiting it or keeping it is optional.

    Raises:
        RuntimeError: called without a running event loop (use :func:`create_task_threadsafe`).
    """
    owner = current_owner.get()
    if owner is not None and owner.tasks_cancelled:
        owner = None  # started from on_close: the connection is gone, the server owns it
    return spawn(coro, name=name, owner=owner)


async def shutdown_tasks(timeout: float | None = None) -> list[asyncio.Task[Any]]:
    """Cancel every task ``create_task`` started on this loop and wait for them to finish.

    The server calls it at graceful shutdown, after closing its connections. Errors raised
    while the tasks unwind are logged; tasks still running after ``timeout`` seconds
    (default ``TASKS_SHUTDOWN_TIMEOUT``) are logged and returned.
    """
    if timeout is None:
        from duck.conf import settings

        timeout = settings.TASKS_SHUTDOWN_TIMEOUT
    return await supervisor.shutdown(timeout)


def set_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Register the event loop the server runs on (None to forget it), for threads it did not start."""
    global _server_loop
    _server_loop = loop


def get_server_loop() -> asyncio.AbstractEventLoop | None:
    """The loop registered with :func:`set_server_loop`, if any."""
    return _server_loop


def _target_loop() -> asyncio.AbstractEventLoop:
    loop = current_loop() or _server_loop
    if loop is None or loop.is_closed():
        raise RuntimeError(
            "No event loop to schedule the coroutine on: call this from a duck worker thread "
            "(a sync view or handler) or after the server registered its loop with set_server_loop()."
        )
    return loop


def create_task_threadsafe(
    coro: Coroutine[Any, Any, T], *, name: str | None = None, loop: asyncio.AbstractEventLoop | None = None
) -> concurrent.futures.Future[T]:
    """From a worker thread, start ``coro`` as a task on the server's loop (or on ``loop``).

    The task has the same owner it would have had on the loop: a sync handler of a
    WebSocket connection runs with that connection's context, so the task is cancelled
    when the connection closes. The returned future gives the task's result; its
    exception is delivered there rather than logged.

    Raises:
        RuntimeError: no server loop is known, or it is the calling thread's own loop
            (there, use :func:`create_task`).
    """
    if loop is None:
        loop = _target_loop_or_close(coro)
    if running_loop() is loop:
        coro.close()
        raise RuntimeError("create_task_threadsafe() was called on the event loop thread; use create_task().")
    result: concurrent.futures.Future[T] = concurrent.futures.Future()
    context = contextvars.copy_context()
    loop.call_soon_threadsafe(_start_linked, coro, name, result, context=context)
    return result


# How often a thread blocked on the loop checks that the loop still runs: a loop torn down without
# finishing the coroutine would otherwise leave the thread waiting forever.
_LOOP_CHECK_INTERVAL = 1.0


def run_coroutine_from_sync(
    coro: Coroutine[Any, Any, T], timeout: float | None = None, *, loop: asyncio.AbstractEventLoop | None = None
) -> T:
    """From a worker thread, run ``coro`` on the server's loop (or on ``loop``) and block until it returns.

    Raises:
        TimeoutError: it took longer than ``timeout`` seconds (the task is then cancelled).
        concurrent.futures.CancelledError: the loop closed (or the task was cancelled) first.
        RuntimeError: see :func:`create_task_threadsafe`.
    """
    if loop is None:
        loop = _target_loop_or_close(coro)
    future = create_task_threadsafe(coro, loop=loop)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = _LOOP_CHECK_INTERVAL if deadline is None else min(_LOOP_CHECK_INTERVAL, deadline - time.monotonic())
        try:
            return future.result(max(wait, 0.0))
        except concurrent.futures.TimeoutError:
            if future.done():
                raise  # the coroutine itself raised TimeoutError
            if deadline is not None and time.monotonic() >= deadline:
                future.cancel()
                raise TimeoutError(f"The coroutine did not finish within {timeout} seconds.") from None
            if loop.is_closed():
                future.cancel()
                raise concurrent.futures.CancelledError(
                    "The event loop closed before the coroutine finished."
                ) from None


def _target_loop_or_close(coro: Coroutine[Any, Any, Any]) -> asyncio.AbstractEventLoop:
    try:
        return _target_loop()
    except RuntimeError:
        coro.close()  # never started: no "coroutine was never awaited" warning on top of the error
        raise


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or None (never raises, unlike asyncio.get_running_loop)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _start_linked(coro: Coroutine[Any, Any, T], name: str | None, result: concurrent.futures.Future[T]) -> None:
    """On the loop: start the task and mirror its outcome into ``result`` (and back for cancel)."""
    if result.cancelled():
        coro.close()  # cancelled before it could start
        return
    owner = current_owner.get()
    if owner is not None and owner.tasks_cancelled:
        owner = None
    task = spawn(coro, name=name, owner=owner, report=False)
    loop = task.get_loop()

    def mirror(done: asyncio.Task[T]) -> None:
        if done.cancelled():
            result.cancel()
            return
        if not result.set_running_or_notify_cancel():
            return  # the caller cancelled it meanwhile
        if done.exception() is not None:
            result.set_exception(done.exception())
        else:
            result.set_result(done.result())

    def cancel_task(fut: concurrent.futures.Future[T]) -> None:
        if fut.cancelled() and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

    task.add_done_callback(mirror)
    result.add_done_callback(cancel_task)
