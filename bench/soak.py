"""Soak: does a `duck runserver` process give back everything its connections held, round after round?

One round is 100,000 HTTP connect/request/close cycles, 20,000 WebSocket open/message/close cycles,
and 1,000 WebSocket clients that send a 1 MB message and reset the connection. After each round the
server's RSS (after a full collection and ``malloc_trim``) and its live HttpProtocol /
WebSocketProtocol objects are read from the memory project's ``/stats`` view. A server that releases
what each closed connection held shows the same RSS after round 2 as after round 1.

    python bench/soak.py                 # the full soak (two rounds; a few minutes)
    python bench/soak.py --scale 0.1     # a tenth of every count, for a quick look

The server runs on core 0, these clients on core 1 (when the machine has two).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.memory import clients  # noqa: E402 - after the path is set

MIB = 1024 * 1024


async def one_round(port: int, scale: float, concurrency: int) -> dict[str, float]:
    counts = {"http": int(100_000 * scale), "websocket": int(20_000 * scale), "reset": int(1_000 * scale)}
    timings: dict[str, float] = {}
    failures = 0
    for kind, count in counts.items():
        make = {
            "http": lambda: clients.http_cycle(port),
            "websocket": lambda: clients.websocket_cycle(port),
            "reset": lambda: clients.websocket_reset_after_message(port),
        }[kind]
        start = time.monotonic()
        failures += await clients.many(count, concurrency, make)
        timings[kind] = time.monotonic() - start
    return {**timings, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count (default: 1)")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {1})
    port = clients.free_port()
    rows = []
    with clients.memory_server(port, cpu=0):
        start = clients.settled_stats(port)
        rows.append(("start", start, None))
        for number in range(1, args.rounds + 1):
            timings = asyncio.run(one_round(port, args.scale, args.concurrency))
            rows.append((f"after round {number}", clients.settled_stats(port), timings))
    print(f"{'':16} {'RSS MiB':>8} {'HttpProtocol':>13} {'WebSocketProtocol':>18}  round took (s): http / ws / reset")
    for label, stats, timings in rows:
        took = "" if timings is None else " / ".join(f"{timings[k]:.1f}" for k in ("http", "websocket", "reset"))
        failed = "" if not timings or not timings["failures"] else f"  ({timings['failures']:.0f} client failures)"
        print(f"{label:16} {stats['rss'] / MIB:8.1f} {stats['http']:13d} {stats['websocket']:18d}  {took}{failed}")
    first, last = rows[1][1]["rss"], rows[-1][1]["rss"]
    growth = (last - first) / first * 100
    print(f"RSS after the last round vs after the first: {growth:+.1f}% (goal: within 5%)")
    return 0 if abs(growth) <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
