"""WebSocket echo messages per second, and memory per idle connection, of duck next to its peers.

    python bench/ws_bench.py [--duration 10] [--connections 16] [--size 64] [--window 1] [--rounds 2]
                             [--idle 10000] [--idle-modes plain,deflate,used]
                             [--only duck,uvicorn-sansio,websockets,granian] [--baseline CHECKOUT]

Each server runs pinned to CPU 0 (``taskset -c 0``) and the load generator (bench/ws_load.py) to
CPU 1, so one core serves. Every server echoes each message back:

- ``duck``: duck's own server and an echo ``WebSocketView`` through the real dispatcher and a
  URL conf (bench/ws_duck_app.py);
- ``uvicorn-sansio``: uvicorn + Starlette (a ``WebSocketEndpoint``, bench/ws_starlette_app.py)
  with ``--ws websockets-sansio``, over the websockets library's sans-I/O core as duck is (what
  ``--ws auto`` picks in uvicorn 0.54);
- ``uvicorn-websockets`` (not run unless named): the same app with ``--ws websockets``, uvicorn's
  implementation over the websockets library's legacy asyncio protocol;
- ``websockets``: the websockets library's own asyncio server (``websockets.asyncio.server.serve``)
  with its documented echo handler (bench/ws_websockets_server.py): **the reference of the ratios**;
- ``granian``: granian + the same Starlette app over ASGI, one worker, one runtime thread
  (``--runtime-mode st``), uvloop; skipped with a note when granian is not installed
  (``pip install granian``);
- ``duck-baseline`` (with ``--baseline CHECKOUT``, e.g. ``git worktree add /tmp/main main``): that
  checkout's bench/ws_duck_app.py and duck, to compare a change in the same run.

All run with keepalive pings off; duck, uvicorn and granian on uvloop, the websockets server too.

**Echo** (``--connections`` connections, ``--size``-byte text messages): each connection sends a
message and waits for the echo before sending the next (a closed loop; ``--window N`` keeps N in
flight). After a 1 s warm-up, ``--duration`` seconds are measured: messages/s, the p99 round trip,
and the server's CPU time per message (utime + stime from ``/proc/<pid>/stat`` over the window,
steadier than the rate on a shared machine). The load generator is a minimal client on raw
asyncio sockets that sends one pre-masked frame per message and offers no compression; its CPU
share is printed so a run where it, not the server, was the bottleneck shows. With ``--rounds N``
the servers take turns N times and each keeps its best rate and least CPU per message (other work
on the machine can only slow a run down); the load average is printed before and after.

**Idle memory** (``--idle`` connections, 0 to skip): in a fresh server process, one warm-up
connection, then ``VmRSS`` from ``/proc/<pid>/status`` before and after opening the idle
connections in batches; the difference per connection in KiB. ``--idle-modes``:

- ``plain``: the client offers no extension;
- ``deflate``: it offers ``permessage-deflate; client_max_window_bits`` as Chromium and Firefox
  do (the table says how many connections the server accepted it on);
- ``used``: the same, and each connection sends one compressed message and reads the echo, then
  all stay silent ``--used-settle`` seconds (22: duck frees idle zlib contexts 10 to 20 s after
  their last use, ``WEBSOCKET_COMPRESSION_IDLE_RELEASE``) before RSS is read.

A run takes about (duration + 4) x servers x rounds seconds, plus ~15 s per server and idle mode
(~35 s for ``used``). Needs uvicorn + starlette. Nothing here asserts a number: the machine
decides them; the goals are printed next to the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from common import BENCH, free_port, pinned, raise_open_files_limit, running

REFERENCE = "websockets"
DEFAULT_SERVERS = "duck,uvicorn-sansio,websockets,granian"
IDLE_MODES = ("plain", "deflate", "used")
# The goals this benchmark reports against (issue 14).
GOAL_VS_WEBSOCKETS = 1.3
GOAL_KIB_IDLE = {"plain": 12.0, "deflate": 16.0, "used": 16.0}
# Keepalive pings off on uvicorn: its CLI takes a number, and 0 would ping without pause.
UVICORN_NO_PINGS = ["--ws-ping-interval", "86400", "--ws-ping-timeout", "86400"]


@dataclass
class Result:
    server: str
    rate: float = 0.0
    p99_ms: float = float("nan")
    cpu_us: float = float("nan")  # server CPU time (user + system) per message
    client_share: float = 0.0  # the load generator's CPU use over the window (1.0 = a full core)
    kib_idle: dict[str, float] = field(default_factory=dict)  # idle mode -> KiB per connection
    deflate: dict[str, int] = field(default_factory=dict)  # idle mode -> connections that got deflate


BASELINE: str | None = None  # --baseline: a checkout whose duck runs as duck-baseline


def server_commands(port: int) -> dict[str, list[str]]:
    uvicorn = [sys.executable, "-m", "uvicorn", "ws_starlette_app:app", "--app-dir", str(BENCH), "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log", "--backlog", "4096", *UVICORN_NO_PINGS]
    granian = [sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1", "--runtime-threads", "1"]
    granian += ["--runtime-mode", "st", "--loop", "uvloop", "--host", "127.0.0.1", "--port", str(port)]
    granian += ["--log-level", "warning", "--no-access-log", "--backlog", "4096", "--working-dir", str(BENCH)]
    return {
        "duck": [sys.executable, str(BENCH / "ws_duck_app.py"), str(port)],
        "uvicorn-sansio": [*uvicorn, "--ws", "websockets-sansio", *quiet],
        "uvicorn-websockets": [*uvicorn, "--ws", "websockets", *quiet],
        "websockets": [sys.executable, str(BENCH / "ws_websockets_server.py"), str(port)],
        "granian": [*granian, "ws_starlette_app:app"],
        "duck-baseline": [sys.executable, os.path.join(BASELINE or ".", "bench", "ws_duck_app.py"), str(port)],
    }


def missing(name: str) -> str | None:
    """Why ``name`` cannot run here, or None."""
    needs = {"uvicorn-sansio": ("uvicorn", "starlette"), "uvicorn-websockets": ("uvicorn", "starlette")}
    needs["granian"] = ("granian", "starlette")
    for module in needs.get(name, ()):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install {module})"
    return None


def serving_pid(pid: int) -> int:
    """The process that serves: the server itself, or its only child (granian runs its worker in a
    child process even with ``--workers 1``); CPU time and RSS are read from that one."""
    children: list[str] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += (task / "children").read_text().split()
    return int(children[0]) if len(children) == 1 else pid


def load(mode: str, port: int, pid: int, options: list[str], timeout: float) -> dict[str, float]:
    """Run bench/ws_load.py on CPU 1 and return its JSON result."""
    pid = serving_pid(pid)
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


def idle_memory(name: str, count: int, mode: str, used_settle: float) -> tuple[float, int]:
    """KiB per idle connection and how many got permessage-deflate, in a fresh server process."""
    port = free_port()
    options = ["--connections", str(count)]
    if mode != "plain":
        options.append("--deflate")
    if mode == "used":
        options += ["--talk", "--settle", str(used_settle)]
    with running(server_commands(port)[name], port) as pid:
        data = load("idle", port, pid, options, 240 + used_settle)
    if data["alive"] != count:
        print(f"  warning: {name}: only {data['alive']} of {count} idle connections stayed open", file=sys.stderr)
    return data["kib_per_connection"], data["deflate"]


def run(servers: list[str], args: argparse.Namespace) -> list[Result]:
    """Every server's echo run, ``rounds`` times interleaved (best kept), then its idle-memory runs."""
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
        for mode in args.idle_modes:
            for name in servers:
                kib, deflate = idle_memory(name, args.idle, mode, args.used_settle)
                best[name].kib_idle[mode], best[name].deflate[mode] = kib, deflate
                print(f"{name}: {kib:.1f} KiB per idle connection ({mode}, deflate on {deflate})", file=sys.stderr)
    return [best[name] for name in servers]


def table(results: list[Result], modes: list[str]) -> str:
    """msg/s and CPU per message with their ratios to the websockets server; KiB per idle connection."""
    ref = next((r for r in results if r.server == REFERENCE), None)
    header = f"{'server':<20}{'msg/s':>9}{'ratio':>7}{'p99 ms':>8}{'CPU us/msg':>12}{'msg/CPU-s ratio':>17}"
    header += "".join(f"{'KiB idle ' + mode:>19}" for mode in modes)
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = f"{r.rate / ref.rate:.2f}x" if ref and ref.rate else "-"
        cpu_ratio = f"{ref.cpu_us / r.cpu_us:.2f}x" if ref and r.cpu_us else "-"
        line = f"{r.server:<20}{r.rate:>9,.0f}{ratio:>7}{r.p99_ms:>8.2f}{r.cpu_us:>12.1f}{cpu_ratio:>17}"
        for mode in modes:
            kib = r.kib_idle.get(mode)
            cell = "-" if kib is None else f"{kib:.1f}"
            if kib is not None and mode != "plain" and not r.deflate.get(mode):
                cell += " (no deflate)"
            line += f"{cell:>19}"
        lines.append(line)
    return "\n".join(lines)


def goals(results: list[Result]) -> str:
    """duck against the goals: 1.3x the websockets server; idle KiB per connection < 12 plain, < 16 deflate."""
    by_name = {r.server: r for r in results}
    duck = by_name.get("duck")
    if duck is None:
        return ""
    lines = ["", "goals for duck:"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if REFERENCE in by_name:
        ratio = duck.rate / by_name[REFERENCE].rate
        cpu_ratio = by_name[REFERENCE].cpu_us / duck.cpu_us
        ok = verdict(ratio >= GOAL_VS_WEBSOCKETS)
        lines.append(
            f"  >= {GOAL_VS_WEBSOCKETS}x the websockets server: {ratio:.2f}x msg/s  {ok}"
            f" ({cpu_ratio:.2f}x messages per CPU-second)"
        )
    for mode, kib in duck.kib_idle.items():
        goal = GOAL_KIB_IDLE[mode]
        lines.append(f"  < {goal:.0f} KiB per idle connection ({mode}): {kib:.1f}  {verdict(kib < goal)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per echo run (default: 10)")
    parser.add_argument("--connections", type=int, default=16, help="echo connections (default: 16)")
    parser.add_argument("--size", type=int, default=64, help="message payload in bytes (default: 64)")
    parser.add_argument("--window", type=int, default=1, help="messages in flight per connection (default: 1)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best is kept (default: 2)")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections for the memory runs; 0 skips them")
    parser.add_argument("--idle-modes", default=",".join(IDLE_MODES), help="among plain, deflate, used")
    parser.add_argument("--used-settle", type=float, default=22.0, help="seconds of silence in the 'used' mode")
    parser.add_argument("--only", default=DEFAULT_SERVERS, help="comma-separated servers")
    parser.add_argument("--baseline", help="a checkout whose duck runs as duck-baseline (added to --only)")
    args = parser.parse_args(argv)
    global BASELINE
    if args.baseline:
        if not os.path.exists(os.path.join(args.baseline, "bench", "ws_duck_app.py")):
            parser.error(f"no bench/ws_duck_app.py in {args.baseline}")
        BASELINE = os.path.abspath(args.baseline)
        args.only = "duck-baseline," + args.only
    args.rounds = max(1, args.rounds)
    args.idle_modes = [mode.strip() for mode in args.idle_modes.split(",") if mode.strip()]
    if set(args.idle_modes) - set(IDLE_MODES):
        parser.error(f"idle modes are among {', '.join(IDLE_MODES)}")
    servers = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(servers) - set(server_commands(0))
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    for name in list(servers):
        reason = missing(name)
        if reason:
            print(f"note: skipping {name}: {reason}", file=sys.stderr)
            servers.remove(name)
    if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        print("warning: no taskset or fewer than 2 CPUs: server and load generator share a core", file=sys.stderr)
    limit = raise_open_files_limit()  # servers inherit it; 10,000 sockets need more than the usual 1024
    if limit < args.idle + 100:
        print(f"warning: the descriptor limit ({limit}) is below {args.idle + 100}: lower --idle", file=sys.stderr)
    before = os.getloadavg()[0]
    results = run(servers, args)
    after = os.getloadavg()[0]
    print(f"load average {before:.2f} before the run, {after:.2f} after (ours is ~2 while it runs: more means others)")
    print(table(results, args.idle_modes if args.idle > 0 else []) + goals(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
