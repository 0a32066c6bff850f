"""WebSocket echo messages per second, and memory per idle connection, of duck next to its peers.

    python bench/ws_bench.py [--duration 10] [--connections 16] [--size 64] [--window 1] [--rounds 1]
                             [--idle 10000] [--only duck,uvicorn-websockets,uvicorn-sansio,websockets]

Each server runs pinned to CPU 0 (``taskset -c 0``) and the load generator (bench/ws_load.py) to
CPU 1, so one core serves. Four servers echo every message back:

- ``duck``: duck's own server and an echo ``WebSocketView`` through the real dispatcher and a
  URL conf (bench/ws_duck_app.py);
- ``uvicorn-websockets``: uvicorn + Starlette (a ``WebSocketEndpoint``, bench/ws_starlette_app.py)
  with ``--ws websockets``, uvicorn's implementation over the websockets library's *legacy*
  asyncio protocol: **the reference of the ratios**;
- ``uvicorn-sansio``: the same app with ``--ws websockets-sansio``, over the websockets library's
  sans-I/O core as duck is (what ``--ws auto`` picks in uvicorn 0.54);
- ``websockets``: the websockets library's own asyncio server (``websockets.asyncio.server.serve``)
  with its documented echo handler (bench/ws_websockets_server.py).

All run on uvloop, with keepalive pings off and no compression (the client offers none).

**Echo** (``--connections`` connections, ``--size``-byte text messages): each connection sends a
message and waits for the echo before sending the next (a closed loop; ``--window N`` keeps N in
flight). After a 1 s warm-up, ``--duration`` seconds are measured: messages/s, the p99 round trip,
and the server's CPU time per message (utime + stime from ``/proc/<pid>/stat`` over the window,
steadier than the rate on a shared machine). The load generator is a minimal client on raw
asyncio sockets that sends one pre-masked frame per message; its CPU share is printed so a run
where it, not the server, was the bottleneck shows.

**Idle memory** (``--idle`` connections, 0 to skip): in a fresh server process, one warm-up
connection, then ``VmRSS`` from ``/proc/<pid>/status`` before and after opening the idle
connections in batches; the difference per connection in KiB.

With ``--rounds N`` the servers take turns N times and each keeps its best echo rate and least CPU
per message (other work on the machine can only slow a run down). A run takes about
(duration + 4) x servers x rounds seconds, plus ~15 s per server for the idle run.

Needs uvicorn + starlette (``pip install uvicorn starlette``). Nothing here asserts a number: the
machine decides them; the goals are printed next to the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass

from common import BENCH, free_port, pinned, raise_open_files_limit, running

REFERENCE = "uvicorn-websockets"
# The goals this benchmark reports against.
GOAL_VS_UVICORN = 1.5
GOAL_VS_WEBSOCKETS = 1.0
GOAL_KIB_PER_IDLE = 20.0
# Keepalive pings off on uvicorn: its CLI takes a number, and 0 would ping without pause.
UVICORN_NO_PINGS = ["--ws-ping-interval", "86400", "--ws-ping-timeout", "86400"]


@dataclass
class Result:
    server: str
    rate: float = 0.0
    p99_ms: float = float("nan")
    cpu_us: float = float("nan")  # server CPU time (user + system) per message
    client_share: float = 0.0  # the load generator's CPU use over the window (1.0 = a full core)
    kib_per_idle: float = float("nan")


def server_commands(port: int) -> dict[str, list[str]]:
    uvicorn = [sys.executable, "-m", "uvicorn", "ws_starlette_app:app", "--app-dir", str(BENCH), "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log", "--backlog", "4096", *UVICORN_NO_PINGS]
    return {
        "duck": [sys.executable, str(BENCH / "ws_duck_app.py"), str(port)],
        "uvicorn-websockets": [*uvicorn, "--ws", "websockets", *quiet],
        "uvicorn-sansio": [*uvicorn, "--ws", "websockets-sansio", *quiet],
        "websockets": [sys.executable, str(BENCH / "ws_websockets_server.py"), str(port)],
    }


def load(mode: str, port: int, pid: int, options: list[str], timeout: float) -> dict[str, float]:
    """Run bench/ws_load.py on CPU 1 and return its JSON result."""
    command = [sys.executable, str(BENCH / "ws_load.py"), mode, "--port", str(port), "--server-pid", str(pid)]
    output = subprocess.run(
        pinned(1, [*command, *options]), capture_output=True, text=True, timeout=timeout, check=False
    )
    if output.returncode != 0:
        raise RuntimeError(f"ws_load.py {mode} failed:\n{output.stderr[-2000:]}")
    return json.loads(output.stdout)


def echo_round(name: str, args: argparse.Namespace) -> Result:
    port = free_port()
    options = ["--connections", str(args.connections), "--size", str(args.size), "--window", str(args.window)]
    options += ["--duration", str(args.duration)]
    with running(server_commands(port)[name], port) as pid:
        data = load("echo", port, pid, options, args.duration + 60)
    if data["alive"] != args.connections:
        print(f"  warning: {args.connections - data['alive']} connection(s) closed during the run", file=sys.stderr)
    cpu_us = data["server_cpu_s"] / max(data["messages"], 1) * 1e6
    return Result(name, data["rate"], data["p99_ms"], cpu_us, data["client_cpu_share"])


def idle_memory(name: str, count: int) -> float:
    port = free_port()
    with running(server_commands(port)[name], port) as pid:
        data = load("idle", port, pid, ["--connections", str(count)], 180)
    if data["alive"] != count:
        print(f"  warning: {name}: only {data['alive']} of {count} idle connections stayed open", file=sys.stderr)
    return data["kib_per_connection"]


def run(servers: list[str], args: argparse.Namespace) -> list[Result]:
    """Every server's echo run, ``rounds`` times interleaved (best kept), then its idle-memory run."""
    best: dict[str, Result] = {}
    for number in range(1, args.rounds + 1):
        for name in servers:
            result = echo_round(name, args)
            print(
                f"round {number}/{args.rounds} {name}: {result.rate:,.0f} msg/s, p99 {result.p99_ms:.2f} ms, "
                f"{result.cpu_us:.1f} CPU us/msg (load generator at {result.client_share:.0%} of a core)",
                file=sys.stderr,
            )
            previous = best.get(name)
            if previous is None or result.rate > previous.rate:
                best[name] = result
            if previous is not None:  # the least CPU per message of any round (least disturbed)
                best[name].cpu_us = min(result.cpu_us, previous.cpu_us)
    if args.idle > 0:
        for name in servers:
            best[name].kib_per_idle = idle_memory(name, args.idle)
            print(f"{name}: {best[name].kib_per_idle:.1f} KiB per idle connection", file=sys.stderr)
    return [best[name] for name in servers]


def table(results: list[Result]) -> str:
    """msg/s and CPU per message, each with its ratio to uvicorn + Starlette (``--ws websockets``)."""
    ref = next((r for r in results if r.server == REFERENCE), None)
    header = (
        f"{'server':<20}{'msg/s':>9}{'ratio':>7}{'p99 ms':>8}{'CPU us/msg':>12}{'msg/CPU-s ratio':>17}"
        f"{'KiB/idle conn':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = f"{r.rate / ref.rate:.2f}x" if ref and ref.rate else "-"
        cpu_ratio = f"{ref.cpu_us / r.cpu_us:.2f}x" if ref and r.cpu_us else "-"
        kib = "-" if r.kib_per_idle != r.kib_per_idle else f"{r.kib_per_idle:.1f}"  # NaN: not measured
        lines.append(
            f"{r.server:<20}{r.rate:>9,.0f}{ratio:>7}{r.p99_ms:>8.2f}{r.cpu_us:>12.1f}{cpu_ratio:>17}{kib:>15}"
        )
    return "\n".join(lines)


def goals(results: list[Result]) -> str:
    """duck against the goals: 1.5x uvicorn + Starlette, at least the websockets server, < 20 KiB idle."""
    by_name = {r.server: r for r in results}
    duck = by_name.get("duck")
    if duck is None:
        return ""
    lines = ["", "goals for duck:"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if REFERENCE in by_name:
        ratio = duck.rate / by_name[REFERENCE].rate
        lines.append(
            f"  >= {GOAL_VS_UVICORN}x uvicorn + Starlette msg/s: {ratio:.2f}x  {verdict(ratio >= GOAL_VS_UVICORN)}"
        )
    if "websockets" in by_name:
        ratio = duck.rate / by_name["websockets"].rate
        lines.append(f"  >= the websockets server's msg/s:  {ratio:.2f}x  {verdict(ratio >= GOAL_VS_WEBSOCKETS)}")
    if duck.kib_per_idle == duck.kib_per_idle:
        ok = duck.kib_per_idle < GOAL_KIB_PER_IDLE
        lines.append(f"  < {GOAL_KIB_PER_IDLE:.0f} KiB per idle connection:     {duck.kib_per_idle:.1f}  {verdict(ok)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per echo run (default: 10)")
    parser.add_argument("--connections", type=int, default=16, help="echo connections (default: 16)")
    parser.add_argument("--size", type=int, default=64, help="message payload in bytes (default: 64)")
    parser.add_argument("--window", type=int, default=1, help="messages in flight per connection (default: 1)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best is kept (default: 1)")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections for the memory run; 0 skips it")
    parser.add_argument("--only", default=",".join(server_commands(0)), help="comma-separated servers")
    args = parser.parse_args(argv)
    args.rounds = max(1, args.rounds)
    servers = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(servers) - set(server_commands(0))
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if any(name.startswith("uvicorn") for name in servers):
        for module in ("uvicorn", "starlette"):
            if importlib.util.find_spec(module) is None:
                sys.exit(f"{module} is not installed: run `pip install uvicorn starlette`.")
    if (os.cpu_count() or 1) < 2:
        print("warning: fewer than 2 CPUs: server and load generator share a core", file=sys.stderr)
    limit = raise_open_files_limit()  # servers inherit it; 10,000 sockets need more than the usual 1024
    if limit < args.idle + 100:
        print(f"warning: the descriptor limit ({limit}) is below {args.idle + 100}: lower --idle", file=sys.stderr)
    results = run(servers, args)
    print(table(results) + goals(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
