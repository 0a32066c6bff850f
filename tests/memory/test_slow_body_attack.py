"""A slow-body attack on a real `duck runserver`: bodies trickled a byte at a time, on every connection slot.

Before the fix, each byte re-armed the body timer, so such connections lived forever, and with all
of SERVER_MAX_CONNECTIONS taken every normal request got 503 for as long as the attack ran.

With more attackers than slots they evict each other some ten thousand times a second, and the
server accepts their reconnections in bursts, making each connection before reading any. With
clients on Python 3.13 (a faster reconnect loop) a burst often held all 20 slots, and a normal
client accepted behind it got 503, until the server waited to read the connections it had not
read yet (``ServerState.wait_for_room``).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.interop.helpers import free_port
from tests.memory import clients

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

LIMIT = 20
ATTACKERS = 30  # more than the limit: every slot is taken and more attackers wait to reconnect


async def trickle(port: int, stop: asyncio.Event, outcomes: list[tuple[bytes, float]]) -> None:
    """One attacker: a POST whose body comes a byte every 0.3 s; when cut, note how, and start over."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        started = time.monotonic()
        try:
            writer.write(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
            while not stop.is_set():
                writer.write(b"x")
                await writer.drain()
                try:
                    answer = await asyncio.wait_for(reader.read(64), 0.3)
                except asyncio.TimeoutError:
                    continue
                outcomes.append((answer[:12], time.monotonic() - started))
                break
        except OSError:
            outcomes.append((b"reset", time.monotonic() - started))
        finally:
            writer.close()


async def normal_gets(port: int, count: int) -> list[bytes]:
    statuses = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        statuses.append((await asyncio.wait_for(reader.read(), 10))[:12])
        writer.close()
        await asyncio.sleep(0.1)
    return statuses


def test_trickled_bodies_are_cut_and_normal_clients_served_while_they_fill_every_slot():
    port = free_port()

    async def attack(attackers: int, normal: int) -> tuple[list[bytes], list[tuple[bytes, float]]]:
        stop = asyncio.Event()
        outcomes: list[tuple[bytes, float]] = []
        tasks = [asyncio.create_task(trickle(port, stop, outcomes)) for _ in range(attackers)]
        await asyncio.sleep(1.0)  # every attacker is connected by now
        statuses = await normal_gets(port, normal)  # ~0.1 s each
        stop.set()
        await asyncio.gather(*tasks)
        return statuses, outcomes

    with clients.memory_server(
        port,
        f"SERVER_MAX_CONNECTIONS = {LIMIT}",
        "SERVER_BODY_RATE_GRACE = 1.0",
        "SERVER_HEAD_TIMEOUT = 30.0",  # only the rate rule may cut a trickle, not the stall timer
    ):
        # Fewer attackers than slots: nobody is evicted, the minimum rate alone ends each trickle.
        _, below_limit = asyncio.run(attack(LIMIT // 2, 20))
        # More attackers than slots: normal clients still get through, and no trickle keeps a slot.
        statuses, above_limit = asyncio.run(attack(ATTACKERS, 30))
    cut_for_pace = [seconds for answer, seconds in below_limit if answer == b"HTTP/1.1 408"]
    assert len(cut_for_pace) >= LIMIT // 2  # each attacker was cut at least once...
    assert max(cut_for_pace) < 3.0  # ...at the grace period (1 s) plus a timer's slack, not never
    assert statuses == [b"HTTP/1.1 200"] * 30
    assert {answer for answer, _ in above_limit} <= {b"HTTP/1.1 408", b"HTTP/1.1 503"}
    assert max(seconds for _, seconds in above_limit) < 3.0
