"""WriteFlow and LazyTimer, the glue both of duck's protocols share."""

from __future__ import annotations

import asyncio

from duck.utils.flow import LazyTimer, WriteFlow


async def test_drain_returns_at_once_while_the_buffer_has_room():
    assert await asyncio.wait_for(WriteFlow().drain(), 1) is True


async def test_every_sender_waits_until_resume():
    flow = WriteFlow()
    flow.pause()
    senders = [asyncio.create_task(flow.drain()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in senders)
    flow.resume()
    assert await asyncio.wait_for(asyncio.gather(*senders), 1) == [True, True, True]


async def test_one_cancelled_sender_does_not_wake_the_others():
    flow = WriteFlow()
    flow.pause()
    first, second = asyncio.create_task(flow.drain()), asyncio.create_task(flow.drain())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    assert first.cancelled() and not second.done()
    flow.resume()
    assert await asyncio.wait_for(second, 1) is True


async def test_a_lost_connection_ends_the_wait_with_false():
    flow = WriteFlow()
    flow.pause()
    sender = asyncio.create_task(flow.drain())
    await asyncio.sleep(0)
    flow.lost()
    assert await asyncio.wait_for(sender, 1) is False


async def test_lazy_timer_moves_only_when_a_deadline_comes_sooner():
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = LazyTimer(loop, lambda: fired.append(loop.time()))
    start = loop.time()
    timer.at(start + 0.05)
    timer.at(start + 10)  # later: the handle stays, the callback will re-arm
    await asyncio.sleep(0.1)
    assert len(fired) == 1 and fired[0] - start < 1
    timer.at(loop.time() + 10)
    timer.at(loop.time() + 0.01)  # sooner: moved
    await asyncio.sleep(0.05)
    assert len(fired) == 2
    timer.at(loop.time() + 0.01)
    timer.cancel()
    await asyncio.sleep(0.03)
    assert len(fired) == 2
