"""Requests per second of duck's server next to uvicorn + Starlette and granian + Starlette, measured with wrk.

    python bench/http_bench.py [--duration 10] [--connections 64] [--rounds 1] [--only duck,uvicorn-httptools]

Each server runs pinned to CPU 0 (``taskset -c 0``) and wrk to CPU 1, so one core serves, as in
production with one worker per core. Three views, each through the framework's router: plaintext,
JSON, and a sync view (duck's thread pool; a Starlette sync endpoint, run in its thread pool).
Servers: duck with httptools (the default parser), with h11, with its access log on (written
to a stderr that goes to /dev/null), and with the middleware of a new project (``duck-defaults``);
uvicorn + Starlette with ``--http h11`` and ``--http httptools``; granian + Starlette (ASGI, one
worker, one runtime thread). Prints req/s, p99 latency,
CPU time per request and the ratios to ``--reference`` (uvicorn + Starlette, httptools); with
``--rounds N`` the servers take turns N times and each keeps its best run (on a shared machine other
work can only slow a run down). A run takes about (duration + 1) x 3 views x servers x rounds seconds.

Needs wrk (``apt-get install wrk``) and uvicorn + starlette; installs httptools and granian with pip
when missing. Nothing here asserts a number: the machine decides them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from common import BENCH, cpu_seconds, free_port, pinned, running

VIEWS = ("/plaintext", "/json", "/sync")
REFERENCE = "uvicorn-httptools"  # the ratios are to this server


@dataclass
class Result:
    server: str
    view: str
    rps: float
    p99_ms: float
    cpu_us: float  # server CPU time (user + system) per request: robust to other load on the machine


def server_commands(port: int) -> dict[str, list[str]]:
    uvicorn = [sys.executable, "-m", "uvicorn", "starlette_app:app", "--app-dir", str(BENCH), "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log"]
    duck = [sys.executable, str(BENCH / "duck_app.py"), str(port)]
    granian = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    return {
        "duck": [*duck, "httptools"],
        "duck-h11": [*duck, "h11"],
        "duck-accesslog": [*duck, "httptools", "log"],
        # the MIDDLEWARE of a project made by `duck startproject` (security, sessions, CSRF, auth)
        "duck-defaults": [*duck, "httptools", "defaults"],
        "uvicorn-h11": [*uvicorn, "--http", "h11", *quiet],
        "uvicorn-httptools": [*uvicorn, "--http", "httptools", *quiet],
        # one worker, one runtime thread: one core, like the others (and no access log)
        "granian": [
            *granian,
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--working-dir",
            str(BENCH),
            "starlette_app:app",
        ],
    }


def wrk(url: str, duration: float, connections: int) -> tuple[float, float, int]:
    """(requests/s, p99 latency in ms, requests) from one wrk run."""
    command = pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", url])
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", output)
    if rps is None or p99 is None or total is None:
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    if errors:
        print(f"  warning: {errors.group(0)}", file=sys.stderr)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * scale, int(total.group(1))


def ensure_tools(servers: list[str]) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.")
    for module in ("uvicorn", "starlette"):
        if any(name.startswith("uvicorn") for name in servers) and importlib.util.find_spec(module) is None:
            sys.exit(f"{module} is not installed: run `pip install uvicorn starlette`.")
    if "uvicorn-httptools" in servers and importlib.util.find_spec("httptools") is None:
        print("installing httptools for the uvicorn-httptools run...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "httptools"], check=True, timeout=300)
    if "granian" in servers and importlib.util.find_spec("granian") is None:
        print("installing granian for the granian run...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "granian"], check=True, timeout=300)


def run(servers: list[str], duration: float, connections: int, rounds: int) -> list[Result]:
    """Every server and view, ``rounds`` times interleaved; keeps each pair's best req/s and least CPU.

    Other work on the machine can only slow a run down, so the best of interleaved rounds is the
    least disturbed measurement of each server.
    """
    best: dict[tuple[str, str], Result] = {}
    for number in range(1, rounds + 1):
        for name in servers:
            port = free_port()
            print(f"round {number}/{rounds} {name}:", file=sys.stderr)
            with running(server_commands(port)[name], port) as pid:
                for view in VIEWS:
                    url = f"http://127.0.0.1:{port}{view}"
                    wrk(url, 1, connections)  # warm-up: imports, caches, the route table
                    before = cpu_seconds(pid)
                    rps, p99, total = wrk(url, duration, connections)
                    cpu_us = (cpu_seconds(pid) - before) / max(total, 1) * 1e6
                    print(f"  {view}: {rps:,.0f} req/s, p99 {p99:.2f} ms, {cpu_us:.0f} CPU us/req", file=sys.stderr)
                    key = (name, view)
                    previous = best.get(key)
                    if previous is None or rps > previous.rps:
                        best[key] = Result(name, view, rps, p99, cpu_us)
                    if previous is not None:  # the least CPU per request of any round (least disturbed)
                        best[key].cpu_us = min(cpu_us, previous.cpu_us)
    return [best[(name, view)] for name in servers for view in VIEWS]


def table(results: list[Result], reference: str = REFERENCE) -> str:
    """req/s and CPU time per request, each with its ratio to ``reference``."""
    ref_rps = {r.view: r.rps for r in results if r.server == reference}
    ref_cpu = {r.view: r.cpu_us for r in results if r.server == reference}
    header = f"{'server':<19}{'view':<11}{'req/s':>9}{'ratio':>7}{'p99 ms':>9}{'CPU us/req':>12}{'req/CPU-s ratio':>17}"
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = f"{r.rps / ref_rps[r.view]:.2f}x" if ref_rps.get(r.view) else "-"
        cpu_ratio = f"{ref_cpu[r.view] / r.cpu_us:.2f}x" if ref_cpu.get(r.view) and r.cpu_us else "-"
        lines.append(
            f"{r.server:<19}{r.view:<11}{r.rps:>9,.0f}{ratio:>7}{r.p99_ms:>9.2f}{r.cpu_us:>12.1f}{cpu_ratio:>17}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default: 10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default: 64)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best is kept (default: 1)")
    parser.add_argument("--only", default=",".join(server_commands(0)), help="comma-separated servers")
    parser.add_argument("--reference", default=REFERENCE, help=f"the server ratios are to (default: {REFERENCE})")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(servers) - set(server_commands(0))
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    ensure_tools(servers)
    if (os.cpu_count() or 1) < 2:
        print("warning: fewer than 2 CPUs: server and wrk share a core", file=sys.stderr)
    print(table(run(servers, args.duration, args.connections, max(1, args.rounds)), args.reference))
    return 0


if __name__ == "__main__":
    sys.exit(main())
