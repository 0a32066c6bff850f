"""Fan-out: the time from one chat message sent until the last of N connected clients has it.

    python bench/fanout_bench.py [--clients 100,1000,5000] [--rounds 7] [--client-procs 2] [--alternate 1]
                                 [--only duck-memory,duck-redis,duck-redis-w2,uvicorn-seeds,floor]
                                 [--baseline CHECKOUT]

The same chat room on each server: clients join, one more connection (the sender) sends a
message, the server broadcasts it to everyone else.

- ``duck-memory``: duck's server, ``GROUPS = ["room"]`` and ``self.broadcast(...)`` on the
  in-memory backend (bench/fanout_duck_app.py);
- ``duck-redis``: the same on the Redis backend, through a redis-server the benchmark starts;
- ``duck-redis-w2``: the Redis backend with ``--workers 2``: clients land on either worker;
- ``uvicorn-seeds``: the seeds' way, a set of clients and a loop of awaited sends, on Starlette
  under uvicorn (bench/fanout_starlette_app.py);
- ``floor``: no framework, one ``os.write`` per client of a pre-encoded frame
  (bench/fanout_floor_app.py): what the kernel alone charges for N small TCP sends here;
- ``duck-baseline`` (with ``--baseline CHECKOUT``, e.g. ``git worktree add /tmp/main main``):
  duck-memory with the duck package of that checkout, to compare a change in the same run.

Clients are raw sockets in ``--client-procs`` processes (bench/fanout_clients.py); the kernel
stamps each arrival (``SO_TIMESTAMPNS``), so the figure is when the bytes reached the client's
socket, however late the client reads them; the benchmark compares the last arrival with the
send time, all on one machine. With more than one CPU the server is pinned to CPU 0 and the
clients (and Redis) to the others, so clients never take the server's core. A warm-up round
comes first; the table shows the median and the best of ``--rounds``. ``--alternate N`` runs the
servers in turn N times (each keeps its median over all its rounds), so that a busy spell on the
shared machine does not land on one server only. The soft limit on open files is raised to the
hard limit first. Nothing here asserts a number: the machine decides them.

On loopback the kernel does the *receiving* side of each TCP send (the client socket's TCP
processing, its ACK, waking the client) inside the sender's system call, on the sender's core: a
perf profile of the floor puts about 60% of each send there. Every server in the table pays it;
over a network the clients' machines would. (Steering loopback's receive work to the clients'
CPU with RPS in a private network namespace took the floor from ~38 to ~15 ms for 5,000 sends
here, but overflowed that CPU's backlog, ``netdev_max_backlog``: dropped packets come back after a
200 ms retransmission timeout, so that is not a usable setup.)

Whether the clients are the bottleneck, and what bounds the server, is printed per server and
client count (medians per broadcast):

- *loop*: from the send until the server's broadcast call returned (the servers report it to
  the sender, with ``time.time()`` stamps); for duck-memory, uvicorn-seeds and floor that is the
  whole write loop, which the last arrival can only follow;
- *server user / system CPU*: what the broadcast call cost the server, in user mode (Python,
  the framework) and in the kernel (the TCP sends: on loopback they include the receiving
  side's TCP processing, in the sender's system call);
- *client CPU*: what each client process spent per round, and *client lag*: how long after the
  last arrival the slowest client process had read everything (it does not move the figures,
  which are kernel arrival stamps, but shows that the clients kept up).
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
SERVERS = ("duck-memory", "duck-redis", "duck-redis-w2", "uvicorn-seeds", "floor", "duck-baseline")
STARTUP_TIMEOUT = 20.0
READY_TIMEOUT = 180.0  # N connections opened and welcomed
ROUND_TIMEOUT = 60.0


@dataclass
class Result:
    server: str
    clients: int
    last_ms: list[float] = field(default_factory=list)  # send -> last client has it
    first_ms: list[float] = field(default_factory=list)  # send -> first client has it
    loop_ms: list[float] = field(default_factory=list)  # send -> the server's broadcast call returned
    user_ms: list[float] = field(default_factory=list)  # server CPU in user mode during the call
    system_ms: list[float] = field(default_factory=list)  # server CPU in the kernel during the call
    client_cpu_ms: list[float] = field(default_factory=list)  # busiest client process, per round
    client_lag_ms: list[float] = field(default_factory=list)  # last arrival -> every client process done
    error: str = ""

    def add(self, other: Result) -> None:
        for name in ("last_ms", "first_ms", "loop_ms", "user_ms", "system_ms", "client_cpu_ms", "client_lag_ms"):
            getattr(self, name).extend(getattr(other, name))
        self.error = self.error or other.error


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
def server(kind: str, cpus: str | None, redis_url: str | None, baseline: str | None = None) -> Iterator[int]:
    """Run one kind of server; yields its port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "duck-baseline" and baseline:
        env["FANOUT_DUCK_ROOT"] = baseline
    if kind == "uvicorn-seeds":
        command = [sys.executable, "-m", "uvicorn", "fanout_starlette_app:app", "--app-dir", str(BENCH)]
        command += ["--port", str(port), "--log-level", "warning", "--no-access-log", "--backlog", "4096"]
    elif kind == "floor":
        command = [sys.executable, str(BENCH / "fanout_floor_app.py"), str(port)]
    else:
        backend = "redis" if "redis" in kind else "memory"
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
def measure(result: Result, port: int, rounds: int, procs: int, cpus: str | None) -> None:
    """Connect ``result.clients`` listeners and one sender; time ``rounds`` broadcasts (after one warm-up)."""
    from websockets.sync.client import connect

    clients = result.clients
    sizes = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    group = [ClientProcess(port, size, cpus) for size in sizes if size]
    try:
        for client in group:
            client.expect("ready", READY_TIMEOUT)
        with connect(f"ws://127.0.0.1:{port}/ws/fanout", open_timeout=30, close_timeout=5) as sender:
            assert sender.recv(timeout=30) == "welcome"
            for number in range(rounds + 1):
                sent = time.time()
                sender.send(f"{number} {sent:.6f}")
                stats = str(sender.recv(timeout=ROUND_TIMEOUT)).split()  # stats T0 T1 USER SYSTEM
                done = [client.expect(f"done {number} ", ROUND_TIMEOUT) for client in group]
                if number:  # round 0 warms up
                    last = max(float(d[3]) for d in done)
                    result.last_ms.append((last - sent) * 1000)
                    result.first_ms.append((min(float(d[2]) for d in done) - sent) * 1000)
                    result.loop_ms.append((float(stats[2]) - sent) * 1000)
                    result.user_ms.append(float(stats[3]) * 1000)
                    result.system_ms.append(float(stats[4]) * 1000)
                    result.client_cpu_ms.append(max(float(d[5]) for d in done) * 1000)
                    result.client_lag_ms.append((max(float(d[4]) for d in done) - last) * 1000)
                time.sleep(0.1)  # quiet between rounds: each one starts from idle sockets
    finally:
        for client in group:
            client.quit()


def run(
    kinds: list[str], sizes: list[int], rounds: int, procs: int, alternate: int, baseline: str | None
) -> list[Result]:
    """Each server in turn, ``alternate`` times over; a server's rounds are pooled across turns."""
    server_cpus, client_cpus = cpu_sets()
    results = {(kind, size): Result(kind, size) for kind in kinds for size in sizes}
    for turn in range(1, alternate + 1):
        for kind in kinds:
            with contextlib.ExitStack() as stack:
                url = stack.enter_context(redis_server(client_cpus)) if "redis" in kind else None
                port = stack.enter_context(server(kind, server_cpus, url, baseline))
                for size in sizes:
                    print(f"  turn {turn}/{alternate} {kind}: {size} clients...", file=sys.stderr, flush=True)
                    result = Result(kind, size)
                    try:
                        measure(result, port, rounds, procs, client_cpus)
                    except Exception as exc:  # a server that cannot keep up is a result too
                        result.error = str(exc)[:60]
                    results[kind, size].add(result)
    return list(results.values())


def details(results: list[Result]) -> str:
    """Per server and size, medians per broadcast: what bounds the server, and whether the clients kept up."""
    head = (
        f"| {'server':<14} | clients | last ms | loop ms | server user ms | server system ms "
        "| client CPU ms (busiest process) | client lag ms |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        if r.error or not r.last_ms:
            continue
        median = statistics.median
        lines.append(
            f"| {r.server:<14} | {r.clients:,} | {median(r.last_ms):.1f} | {median(r.loop_ms):.1f} "
            f"| {median(r.user_ms):.1f} | {median(r.system_ms):.1f} | {median(r.client_cpu_ms):.1f} "
            f"| {median(r.client_lag_ms):.1f} |"
        )
    return "\n".join(lines)


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
    parser.add_argument("--alternate", type=int, default=1, help="run the servers in turn this many times")
    parser.add_argument(
        "--only",
        default="duck-memory,duck-redis,duck-redis-w2,uvicorn-seeds,floor",
        help=f"servers to run, among {', '.join(SERVERS)}",
    )
    parser.add_argument("--baseline", help="a checkout whose duck runs as duck-baseline (added to --only)")
    args = parser.parse_args()
    kinds = [kind for kind in args.only.split(",") if kind]
    if args.baseline:
        if not (Path(args.baseline) / "duck" / "__init__.py").exists():
            parser.error(f"no duck package in {args.baseline}")
        kinds = ["duck-baseline", *[kind for kind in kinds if kind != "duck-baseline"]]
    elif "duck-baseline" in kinds:
        parser.error("duck-baseline needs --baseline CHECKOUT")
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
    results = run(kinds, sizes, args.rounds, args.client_procs, max(1, args.alternate), args.baseline)
    rounds = args.rounds * max(1, args.alternate)
    print(f"\nms from send until the last client has the message: median (best) of {rounds} rounds\n")
    print(table(results, kinds, sizes))
    print("\nper broadcast (medians): what bounds each server, and whether the clients kept up\n")
    print(details(results))
    print("\nms until the first client has it (median):")
    for result in results:
        if result.first_ms:
            print(f"  {result.server:15} {result.clients:>6,}: {statistics.median(result.first_ms):.2f}")


if __name__ == "__main__":
    main()
