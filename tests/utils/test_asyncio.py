"""duck.utils.asyncio: supervised background tasks, owners, shutdown, and the bridge from worker threads."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import pytest

from duck.exceptions import ConnectionClosed
from duck.utils.asyncio import (
    TaskOwner,
    create_task,
    create_task_threadsafe,
    current_owner,
    run_coroutine_from_sync,
    set_server_loop,
    shutdown_tasks,
)
from duck.utils.asyncio.supervisor import supervisor
from duck.utils.sync import run_sync

WAIT = 2.0


@pytest.fixture(autouse=True)
def no_server_loop():
    set_server_loop(None)
    yield
    set_server_loop(None)


async def test_a_dropped_task_is_not_garbage_collected_before_it_finishes():
    finished = asyncio.Event()

    async def work() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    create_task(work())  # no reference kept by the caller
    gc.collect()
    await asyncio.wait_for(finished.wait(), WAIT)


async def test_a_failing_task_is_logged_once_with_its_traceback(caplog):
    async def fail() -> None:
        raise KeyError("missing thing")

    with caplog.at_level(logging.ERROR, logger="duck.tasks"):
        task = create_task(fail(), name="failing-job")
        await asyncio.wait([task], timeout=WAIT)
        await asyncio.sleep(0)  # done callbacks run on the next iteration
    records = [r for r in caplog.records if r.name == "duck.tasks"]
    assert len(records) == 1
    assert "failing-job" in records[0].getMessage()
    assert records[0].exc_info is not None and "missing thing" in caplog.text
    del task
    gc.collect()  # asyncio would log "Task exception was never retrieved" here if it had not been retrieved
    assert "never retrieved" not in caplog.text


async def test_tasks_created_under_an_owner_are_cancelled_with_it_quietly(caplog):
    owner = TaskOwner()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    token = current_owner.set(owner)
    try:
        task = create_task(forever())
    finally:
        current_owner.reset(token)
    await asyncio.wait_for(started.wait(), WAIT)
    with caplog.at_level(logging.DEBUG, logger="duck.tasks"):
        assert owner.cancel_tasks() == [task]
        await asyncio.wait([task], timeout=WAIT)
        await asyncio.sleep(0)
    assert task.cancelled()
    assert not caplog.records  # cancellation is not an error


async def test_connection_closed_after_the_owner_closed_is_debug_only(caplog):
    owner = TaskOwner()
    gate = asyncio.Event()

    async def sender() -> None:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            pass  # like a send racing the close: it goes on and finds the connection closed
        raise ConnectionClosed(1000)

    token = current_owner.set(owner)
    try:
        task = create_task(sender())
    finally:
        current_owner.reset(token)
    await asyncio.sleep(0)
    with caplog.at_level(logging.DEBUG, logger="duck.tasks"):
        owner.cancel_tasks()
        await asyncio.wait([task], timeout=WAIT)
        await asyncio.sleep(0)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


async def test_a_task_started_after_its_owner_closed_belongs_to_the_server():
    owner = TaskOwner()
    owner.cancel_tasks()
    token = current_owner.set(owner)
    try:
        task = create_task(asyncio.sleep(10))
    finally:
        current_owner.reset(token)
    await asyncio.sleep(0)
    assert not task.done()  # not cancelled with the (closed) owner...
    assert task in supervisor.tasks_of(asyncio.get_running_loop())  # ...but stopped at shutdown
    await shutdown_tasks(timeout=WAIT)
    assert task.cancelled()


async def test_shutdown_tasks_cancels_and_awaits_server_tasks_and_logs_their_errors(caplog):
    cleaned = []

    async def tidy() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append("tidy")

    async def broken_cleanup() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            raise RuntimeError("cleanup failed")

    tidy_task = create_task(tidy())
    broken_task = create_task(broken_cleanup(), name="broken")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="duck.tasks"):
        still_running = await shutdown_tasks(timeout=WAIT)
        await asyncio.sleep(0)
    assert still_running == []
    assert cleaned == ["tidy"] and tidy_task.cancelled()
    assert broken_task.done() and not broken_task.cancelled()
    assert "broken" in caplog.text and "cleanup failed" in caplog.text


async def test_shutdown_tasks_gives_up_after_the_timeout_and_reports_the_stubborn_task(caplog):
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # ignores cancellation

    task = create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="duck.tasks"):
        still_running = await shutdown_tasks(timeout=0.05)
    assert still_running == [task]
    assert "stubborn" in caplog.text and "TASKS_SHUTDOWN_TIMEOUT" in caplog.text
    release.set()
    await asyncio.wait_for(task, WAIT)


async def test_shutdown_tasks_uses_the_setting_by_default():
    from duck.conf import settings

    async def quick() -> None:
        await asyncio.Event().wait()

    create_task(quick())
    await asyncio.sleep(0)
    with settings.override(TASKS_SHUTDOWN_TIMEOUT=0.5):
        assert await shutdown_tasks() == []


# -- from worker threads ----------------------------------------------------------------------
async def double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


async def test_run_coroutine_from_sync_in_a_duck_worker_thread():
    def sync_view() -> tuple[int, bool]:
        return run_coroutine_from_sync(double(21), timeout=WAIT), threading.current_thread() is threading.main_thread()

    result, on_main = await run_sync(sync_view)
    assert result == 42 and not on_main


async def test_exceptions_come_back_to_the_sync_caller_and_are_not_logged(caplog):
    async def fail() -> None:
        raise ValueError("bad input")

    def sync_view() -> str:
        try:
            run_coroutine_from_sync(fail(), timeout=WAIT)
        except ValueError as exc:
            return str(exc)
        return "no error"

    with caplog.at_level(logging.ERROR, logger="duck.tasks"):
        assert await run_sync(sync_view) == "bad input"
        await asyncio.sleep(0)
    assert not caplog.records


async def test_create_task_threadsafe_keeps_the_owner_of_the_calling_context():
    owner = TaskOwner()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    def sync_handler():
        return create_task_threadsafe(forever())

    token = current_owner.set(owner)  # run_sync copies this context into the worker thread
    try:
        future = await run_sync(sync_handler)
    finally:
        current_owner.reset(token)
    await asyncio.wait_for(started.wait(), WAIT)
    (task,) = owner.cancel_tasks()
    await asyncio.wait([task], timeout=WAIT)
    assert task.cancelled() and future.cancelled()


async def test_a_plain_thread_uses_the_registered_server_loop():
    set_server_loop(asyncio.get_running_loop())
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(run_coroutine_from_sync(double(5), timeout=WAIT)))
    thread.start()
    await asyncio.wait_for(asyncio.to_thread(thread.join), WAIT)
    assert results == [10]


async def test_run_coroutine_from_sync_times_out_and_cancels():
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def sync_view() -> str:
        try:
            run_coroutine_from_sync(slow(), timeout=0.05)
        except TimeoutError:
            return "timed out"
        return "finished"

    assert await run_sync(sync_view) == "timed out"
    assert await asyncio.wait_for(asyncio.to_thread(cancelled.wait, WAIT), WAIT + 1)


def test_without_any_loop_the_error_says_what_to_do():
    with pytest.raises(RuntimeError, match="set_server_loop"):
        create_task_threadsafe(double(1))


async def test_on_the_loop_thread_create_task_threadsafe_refuses():
    set_server_loop(asyncio.get_running_loop())
    with pytest.raises(RuntimeError, match="use create_task"):
        create_task_threadsafe(double(1))


def test_create_task_needs_a_running_loop():
    coro = double(1)
    with pytest.raises(RuntimeError):
        create_task(coro)
    coro.close()
