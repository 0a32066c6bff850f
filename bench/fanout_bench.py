"""Fan-out: the time from one chat message sent until the last of N connected clients has it.

    python bench/fanout_bench.py [--clients 100,1000,5000] [--rounds 7] [--client-procs 2]
                                 [--only duck-memory,duck-redis,duck-redis-w2,uvicorn-seeds]

The same chat room on each server: clients join, one more connection (the sender) sends a
message, the server broadcasts it to everyone else.

- ``duck-memory``: duck's server, ``GROUPS = ["room"]`` and ``self.broadcast(...)`` on the
  in-memory backend (bench/fanout_duck_app.py);
- ``duck-redis``: the same on the Redis backend, through a redis-server the benchmark starts;
- ``duck-redis-w2``: the Redis backend with ``--workers 2``: clients land on either worker;
- ``uvicorn-seeds``: the seeds' way, a set of clients and a loop of awaited sends, on Starlette
  under uvicorn (bench/fanout_starlette_app.py).

Clients are raw asyncio sockets in ``--client-procs`` processes (bench/fanout_clients.py), each
timing arrivals with ``time.time()``; the benchmark compares the last arrival with the send
time, all on one machine. With more than one CPU the server is pinned to CPU 0 and the clients
(and Redis) to the others, so clients never take the server's core. A warm-up round comes first;
the table shows the median and the best of ``--rounds``. The soft limit on open files is raised
to the hard limit first. Nothing here asserts a number: the machine decides them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common import free_port, raise_open_files_limit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVERS = ("duck-memory", "duck-redis", "duck-redis-w2", "uvicorn-seeds")
STARTUP_TIMEOUT = 20.0
READY_TIMEOUT = 180.0  # N connections opened and welcomed
ROUND_TIMEOUT = 60.0


@dataclass
class Result:
    server: str
    clients: int
    last_ms: list[float] = field(default_factory=list)  # send -> last client has it
    first_ms: list[float] = field(default_factory=list)  # send -> first client has it
    error: str = ""


# -- processes -------------------------------------------------------------------------------------
def cpu_sets() -> tuple[str | None, str | None]:
    """(server CPUs, client CPUs) for taskset, or Nones when there is one CPU or no taskset."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not shutil.which("taskset"):
        return None, None
    return str(cpus[0]), ",".join(map(str, cpus[1:]))


def pinned(cpus: str | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *command] if cpus else command


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)  # polling a port: there is no event to wait for
    raise RuntimeError(f"nothing listening on port {port} after {STARTUP_TIMEOUT}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def redis_executable() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


@contextlib.contextmanager
def redis_server(cpus: str | None) -> Iterator[str]:
    """A throwaway redis-server on a free port; yields its URL."""
    executable = redis_executable() or "redis-server"
    port = free_port()
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(pinned(cpus, command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@contextlib.contextmanager
def server(kind: str, cpus: str | None, redis_url: str | None) -> Iterator[int]:
    """Run one kind of server; yields its port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "uvicorn-seeds":
        command = [sys.executable, "-m", "uvicorn", "fanout_starlette_app:app", "--app-dir", str(BENCH)]
        command += ["--port", str(port), "--log-level", "warning", "--no-access-log", "--backlog", "4096"]
    else:
        backend = "memory" if kind == "duck-memory" else "redis"
        workers = "2" if kind.endswith("-w2") else "1"
        command = [sys.executable, str(BENCH / "fanout_duck_app.py"), str(port), backend, workers]
        if redis_url:
            env["DUCK_REDIS_URL"] = redis_url
    process = subprocess.Popen(pinned(cpus, command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    output = Output(process)
    try:
        wait_listening(port, process)
        if kind.endswith("-w2"):  # every worker accepting, so that clients spread over them
            output.wait_for(b"serving at", count=2, timeout=STARTUP_TIMEOUT)
        yield port
    finally:
        stop(process)
        errors = output.close()
        if "Traceback" in errors:
            print(f"{kind} logged errors:\n{errors}", file=sys.stderr)


class Output:
    """A child's stderr, collected by a thread (a pipe nobody reads would stall the child)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.data = bytearray()
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for chunk in iter(lambda: self.process.stderr.read1(65536), b""):  # type: ignore[union-attr]
            with self.changed:
                self.data += chunk
                self.changed.notify_all()

    def wait_for(self, text: bytes, count: int, timeout: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.data.count(text) >= count, timeout):
                raise RuntimeError(f"the server did not print {text!r} {count} times within {timeout}s")

    def close(self) -> str:
        self.thread.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.data.decode(errors="replace")


class ClientProcess:
    """One bench/fanout_clients.py process; its stdout lines arrive in a queue (read by a thread)."""

    def __init__(self, port: int, size: int, cpus: str | None) -> None:
        command = [sys.executable, str(BENCH / "fanout_clients.py"), "127.0.0.1", str(port), "/ws/fanout", str(size)]
        self.process = subprocess.Popen(
            pinned(cpus, command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.decode().strip())
        self.lines.put("eof")

    def expect(self, prefix: str, timeout: float) -> list[str]:
        """The next line, split, which must start with ``prefix``."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"no {prefix!r} from a client process within {timeout}s") from None
        if not line.startswith(prefix):
            raise RuntimeError(f"a client process said {line!r} instead of {prefix!r}")
        return line.split()

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.write(b"quit\n")
            self.process.stdin.close()
        stop(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- measuring -------------------------------------------------------------------------------------
def measure(port: int, clients: int, rounds: int, procs: int, cpus: str | None) -> tuple[list[float], list[float]]:
    """Connect ``clients`` listeners and one sender; time ``rounds`` broadcasts (after one warm-up)."""
    from websockets.sync.client import connect

    sizes = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    group = [ClientProcess(port, size, cpus) for size in sizes if size]
    last: list[float] = []
    first: list[float] = []
    try:
        for client in group:
            client.expect("ready", READY_TIMEOUT)
        with connect(f"ws://127.0.0.1:{port}/ws/fanout", open_timeout=30, close_timeout=5) as sender:
            assert sender.recv(timeout=30) == "welcome"
            for number in range(rounds + 1):
                sent = time.time()
                sender.send(f"{number} {sent:.6f}")
                done = [client.expect(f"done {number} ", ROUND_TIMEOUT) for client in group]
                if number:  # round 0 warms up
                    last.append((max(float(d[3]) for d in done) - sent) * 1000)
                    first.append((min(float(d[2]) for d in done) - sent) * 1000)
                time.sleep(0.1)  # quiet between rounds: each one starts from idle sockets
    finally:
        for client in group:
            client.quit()
    return last, first


def run(kinds: list[str], sizes: list[int], rounds: int, procs: int) -> list[Result]:
    server_cpus, client_cpus = cpu_sets()
    results: list[Result] = []
    for kind in kinds:
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(redis_server(client_cpus)) if "redis" in kind else None
            port = stack.enter_context(server(kind, server_cpus, url))
            for size in sizes:
                result = Result(kind, size)
                print(f"  {kind}: {size} clients...", file=sys.stderr, flush=True)
                try:
                    result.last_ms, result.first_ms = measure(port, size, rounds, procs, client_cpus)
                except Exception as exc:  # a server that cannot keep up is a result too
                    result.error = str(exc)[:60]
                results.append(result)
    return results


def table(results: list[Result], kinds: list[str], sizes: list[int]) -> str:
    """Rows per client count, a column per server: median (best) ms until the last client has it."""
    cells = {(r.server, r.clients): r for r in results}
    head = "| clients | " + " | ".join(kinds) + " |"
    lines = [head, "|---:|" + "---:|" * len(kinds)]
    for size in sizes:
        row = []
        for kind in kinds:
            result = cells.get((kind, size))
            if result is None:
                row.append("-")
            elif result.error:
                row.append(f"error: {result.error}")
            else:
                row.append(f"{statistics.median(result.last_ms):.1f} ({min(result.last_ms):.1f})")
        lines.append(f"| {size:,} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="100,1000,5000", help="comma-separated client counts")
    parser.add_argument("--rounds", type=int, default=7, help="timed broadcasts per client count")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes sharing the connections")
    parser.add_argument("--only", default=",".join(SERVERS), help=f"servers to run, among {', '.join(SERVERS)}")
    args = parser.parse_args()
    kinds = [kind for kind in args.only.split(",") if kind]
    unknown = set(kinds) - set(SERVERS)
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if any("redis" in kind for kind in kinds) and not redis_executable():
        parser.error("the redis servers need redis-server (apt-get install redis-server)")
    sizes = [int(n) for n in args.clients.split(",")]
    limit = raise_open_files_limit()
    needed = max(sizes) * 2 + 100
    if limit < needed:
        print(f"warning: open files limit {limit} < {needed}; large runs may fail", file=sys.stderr)
    server_cpus, client_cpus = cpu_sets()
    print(f"server on CPU {server_cpus or 'any'}, clients on CPU {client_cpus or 'any'}; open files limit {limit}")
    results = run(kinds, sizes, args.rounds, args.client_procs)
    print("\nms from send until the last client has the message: median (best) of", args.rounds, "rounds\n")
    print(table(results, kinds, sizes))
    print("\nms until the first client has it (median):")
    for result in results:
        if result.first_ms:
            print(f"  {result.server:15} {result.clients:>6,}: {statistics.median(result.first_ms):.2f}")


if __name__ == "__main__":
    main()
