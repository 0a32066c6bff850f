"""Who owns a background task, and what happens to it when its owner goes away.

Every task made by :func:`duck.utils.asyncio.create_task` is kept alive by a strong
reference (``asyncio`` itself only keeps a weak one, so a bare ``asyncio.create_task``
whose result is dropped can be garbage-collected mid-flight) and belongs to one owner:

- a :class:`TaskOwner` found in the :data:`current_owner` context variable. A WebSocket
  connection is one: it sets the variable for its handler, so tasks started from
  ``on_open``/``on_receive`` are cancelled when the connection closes;
- otherwise the process-wide :class:`TaskSupervisor`, which :func:`shutdown_tasks` cancels
  and awaits (bounded by ``TASKS_SHUTDOWN_TIMEOUT``) when the server stops.

A task's failure is logged once, with its traceback, on the ``duck.tasks`` logger, so
asyncio never prints "Task exception was never retrieved". Cancellation is not a failure,
and neither is :class:`~duck.exceptions.ConnectionClosed` raised in a task whose owning
connection has closed (the usual end of a "push every 5 seconds" loop).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from duck.exceptions import ConnectionClosed

logger = logging.getLogger("duck.tasks")


class TaskOwner:
    """Owns tasks that must not outlive it: :meth:`cancel_tasks` cancels them all.

    Subclasses (WebSocket connections) keep ``__slots__``; the task set is created only
    when the first task is adopted, so an owner that starts no task costs two slots.
    """

    __slots__ = ("_owned_tasks", "_owner_closed")

    def __init__(self) -> None:
        self._owned_tasks: set[asyncio.Task[Any]] | None = None
        self._owner_closed = False

    @property
    def tasks_cancelled(self) -> bool:
        """True once :meth:`cancel_tasks` ran; tasks created afterwards go to the supervisor."""
        return self._owner_closed

    def adopt(self, task: asyncio.Task[Any]) -> None:
        """Take ``task``: it is cancelled by :meth:`cancel_tasks` unless it finished first."""
        if self._owned_tasks is None:
            self._owned_tasks = set()
        self._owned_tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        if self._owned_tasks is not None:
            self._owned_tasks.discard(task)

    def cancel_tasks(self) -> list[asyncio.Task[Any]]:
        """Cancel every owned task except the calling one; return the cancelled tasks.

        The caller is spared so that a task which closes its own connection can finish
        what it was doing (its next send raises ConnectionClosed, which is not logged).
        """
        self._owner_closed = True
        tasks = self._owned_tasks
        if not tasks:
            return []
        try:
            current = asyncio.current_task()
        except RuntimeError:  # not called from a running loop (a transport callback in tests)
            current = None
        cancelled = [task for task in tasks if task is not current and not task.done()]
        for task in cancelled:
            task.cancel()
        return cancelled


class TaskSupervisor:
    """The process-wide owner of tasks started outside any connection; stopped by :func:`shutdown_tasks`."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def tasks_of(self, loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
        """Unfinished tasks running on ``loop`` (tests run one loop per test, servers one per process)."""
        return [task for task in self._tasks if not task.done() and task.get_loop() is loop]

    async def shutdown(self, timeout: float | None) -> list[asyncio.Task[Any]]:
        """Cancel this loop's tasks and wait up to ``timeout`` seconds; return those still running."""
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        tasks = [task for task in self.tasks_of(loop) if task is not current]
        if not tasks:
            return []
        for task in tasks:
            task.cancel()
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            logger.error(
                "Task %r did not stop within %s seconds of being cancelled at shutdown (TASKS_SHUTDOWN_TIMEOUT).",
                task.get_name(),
                timeout,
            )
        return list(pending)


supervisor = TaskSupervisor()

#: The owner of tasks created in this context; a WebSocket connection sets it for its handler.
current_owner: contextvars.ContextVar[TaskOwner | None] = contextvars.ContextVar("duck_task_owner", default=None)


def spawn(
    coro: Coroutine[Any, Any, Any],
    *,
    name: str | None = None,
    owner: TaskOwner | None = None,
    context: contextvars.Context | None = None,
    report: bool = True,
) -> asyncio.Task[Any]:
    """Start ``coro`` as a supervised task (the engine behind ``create_task``).

    Args:
        coro: the coroutine to run.
        name: the task's name, shown in logs.
        owner: cancels the task when it closes; None means only the supervisor owns it.
        context: the context to run it in (default: a copy of the current one).
        report: log the task's exception; False when a caller receives the result instead.
    """
    loop = asyncio.get_running_loop()
    if context is None:
        task = loop.create_task(coro, name=name)
    elif sys.version_info >= (3, 11):
        task = loop.create_task(coro, name=name, context=context)
    else:  # Python 3.10: a task copies the context it is created in, which gives the same values
        task = context.run(loop.create_task, coro, name=name)
    supervisor.add(task)
    if owner is not None:
        owner.adopt(task)
    if report:
        task.add_done_callback(_make_reporter(owner))
    return task


def _make_reporter(owner: TaskOwner | None) -> Any:
    def report(task: asyncio.Task[Any]) -> None:
        _report(task, owner)

    return report


def _report(task: asyncio.Task[Any], owner: TaskOwner | None) -> None:
    """Log a failed task once; calling ``exception()`` marks it retrieved for asyncio."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if isinstance(exc, ConnectionClosed) and owner is not None and owner.tasks_cancelled:
        # The connection this task served has gone: the expected end of a push loop.
        logger.debug("Task %r stopped: %s", task.get_name(), exc)
        return
    logger.error("Task %r raised an exception", task.get_name(), exc_info=(type(exc), exc, exc.__traceback__))
