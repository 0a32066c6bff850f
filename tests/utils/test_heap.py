"""HeapTrimmer: one malloc_trim after a burst of frees, at most once per period."""

from __future__ import annotations

import asyncio
import sys

import pytest

from duck.utils.heap import HeapTrimmer, malloc_trim


class Trims:
    """A stand-in for malloc_trim that records the loop time of each call and lets a test await the next."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.event = asyncio.Event()

    def __call__(self) -> None:
        self.times.append(asyncio.get_running_loop().time())
        self.event.set()

    async def next(self) -> float:
        async with asyncio.timeout(5):
            await self.event.wait()
        self.event.clear()
        return self.times[-1]


async def test_a_burst_of_frees_is_trimmed_once_after_it_pauses():
    trims = Trims()
    trimmer = HeapTrimmer(trims, threshold=1000, quiet=0.05, every=1.0)
    loop = asyncio.get_running_loop()
    trimmer.freed(600)
    await asyncio.sleep(0)
    trimmer.freed(600)  # the threshold is reached: a trim is due once 0.05 s pass without frees
    last = loop.time()
    for _ in range(5):
        await asyncio.sleep(0.02)
        trimmer.freed(600)  # the burst goes on: the trim waits
        last = loop.time()
    assert await trims.next() >= last + 0.05 - 0.01  # uvloop's clock has millisecond steps
    assert trimmer.trims == 1


async def test_frees_below_the_threshold_are_not_worth_a_trim_until_they_add_up():
    trims = Trims()
    trimmer = HeapTrimmer(trims, threshold=1000, quiet=0.01, every=0.2)
    trimmer.freed(999)
    await asyncio.sleep(0.05)
    assert trims.times == []
    trimmer.freed(1)
    await trims.next()
    assert trimmer.trims == 1


async def test_trims_come_at_most_once_per_period_even_when_frees_never_pause():
    trims = Trims()
    trimmer = HeapTrimmer(trims, threshold=10, quiet=0.05, every=0.15)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def churn() -> None:
        while True:  # a free every 10 ms: never 50 ms of quiet
            trimmer.freed(100)
            await asyncio.sleep(0.01)

    task = asyncio.create_task(churn())
    try:
        first = await trims.next()
        second = await trims.next()
    finally:
        task.cancel()
    assert first - start < 1.0  # waited for quiet only up to one period (then 0.15 s), not forever
    assert second - first >= 0.15 - 0.002


def test_without_a_running_loop_or_malloc_trim_it_does_nothing():
    calls: list[None] = []
    HeapTrimmer(lambda: calls.append(None), threshold=1, quiet=0.0, every=0.0).freed(10)
    assert calls == []

    async def inside_a_loop() -> None:
        HeapTrimmer(None, threshold=1, quiet=0.0, every=0.0).freed(10)  # off glibc

    asyncio.run(inside_a_loop())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_malloc_trim_is_found_and_callable_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert malloc_trim is not None
    assert malloc_trim() in (0, 1)  # 1 when memory was released
