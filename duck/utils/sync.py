"""Bridges between the event loop and blocking code.

Sync views and sync middleware run in one bounded thread pool (``SYNC_VIEW_THREADS``) so they
never block the event loop; from inside such a thread, :func:`async_to_sync` calls back into
the loop. Context variables are carried across both ways.

A thread that owns its request (a WSGI server thread) needs neither: :func:`run_inline` runs a
coroutine to its end on that thread without an event loop, and :func:`run_sync` then calls
blocking code in place instead of hopping to the pool.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from duck.conf import on_setting_changed, settings

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_thread_local = threading.local()
# True while run_inline drives a coroutine: the thread is the request's own, so blocking is fine.
_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("duck_inline", default=False)


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=settings.SYNC_VIEW_THREADS, thread_name_prefix="duck-sync")
    return _executor


@on_setting_changed
def _reset_executor() -> None:
    # A new pool size only applies to a new pool; threads of the old one finish their work.
    global _executor
    old, _executor = _executor, None
    if old is not None:
        old.shutdown(wait=False)


async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking ``func`` in the sync-view thread pool and await its result.

    Under :func:`run_inline` ``func`` is called in place: the thread may block, and has no loop.
    """
    if _inline.get():
        return func(*args, **kwargs)
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(call_in_worker_thread, loop, context, func, args, kwargs)
    return await loop.run_in_executor(_get_executor(), call)


def call_in_worker_thread(
    loop: asyncio.AbstractEventLoop,
    context: contextvars.Context,
    func: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> T:
    """Run ``func`` in the current (worker) thread so that :func:`async_to_sync` can reach ``loop``.

    For code that manages its own threads (dwebsocket-style sync views) and still calls back into the loop.
    """
    _thread_local.loop = loop
    try:
        return context.run(func, *args, **kwargs)
    finally:
        _thread_local.loop = None


def async_to_sync(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Wrap an async callable so sync code running in a duck worker thread can call it.

    The coroutine runs on the event loop that dispatched the thread. Outside such a thread
    (plain scripts, WSGI) it runs on a private event loop.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        loop = getattr(_thread_local, "loop", None)
        if loop is not None and loop.is_running():
            return asyncio.run_coroutine_threadsafe(_as_coroutine(func, args, kwargs), loop).result()
        return asyncio.run(_as_coroutine(func, args, kwargs))

    return wrapper


def run_inline(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on this thread, without an event loop; blocking calls run in place.

    For a coroutine that awaits nothing but :func:`run_sync` and other such coroutines (the
    dispatcher with loop-free middleware and a sync view). Costs a function call, where
    ``run_until_complete`` costs a task and a turn of the loop.

    Raises:
        RuntimeError: the coroutine waited for something only an event loop can deliver.
    """
    token = _inline.set(True)
    try:
        coroutine.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        _inline.reset(token)
    coroutine.close()
    raise RuntimeError(f"{coroutine!r} waited for I/O, which needs an event loop: run it on one.")


def is_inline() -> bool:
    """Whether the current code runs under :func:`run_inline` (on its own thread, without a loop)."""
    return _inline.get()


async def _as_coroutine(func: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    return await func(*args, **kwargs)


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel tasks left on ``loop`` (as ``asyncio.run`` does), finish async generators, close it.

    A running loop is left alone; a loop collected while another loop runs in this thread
    (an async test) cannot run, so it is only closed.
    """
    if loop.is_closed() or loop.is_running():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        loop.close()
        return
    try:
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            # Background tasks a view started (create_task) end here rather than being destroyed pending.
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        engines = sys.modules.get("duck.db.engines")
        if engines is not None and engines.has_async_engines(loop):
            # Async database connections belong to this loop: close them while it can still run.
            loop.run_until_complete(engines.dispose_async_engines())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def current_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop that dispatched the current worker thread, if any."""
    return getattr(_thread_local, "loop", None)


@functools.lru_cache(maxsize=4096)
def _is_async_cached(func: Any) -> bool:
    return _is_async(func)


def _is_async(func: Any) -> bool:
    if inspect.iscoroutinefunction(func) or getattr(func, "_duck_is_async", False):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - callable instances with async __call__
    return call is not None and not inspect.isfunction(func) and inspect.iscoroutinefunction(call)


def is_async_callable(func: Any) -> bool:
    """True when calling ``func`` returns an awaitable (async functions, async ``__call__``)."""
    try:
        return _is_async_cached(func)
    except TypeError:  # unhashable callables are rare; check without the cache
        return _is_async(func)
