"""Plumbing shared by the benchmark scripts: free ports, CPU pinning, starting and stopping servers.

The scripts run as ``python bench/<name>.py``, so this folder is on ``sys.path`` and they import it
as ``common``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
STARTUP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(core: int, args: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *args] if shutil.which("taskset") else args


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {STARTUP_TIMEOUT}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its children so far (Linux /proc; 0.0 elsewhere).

    Children count: granian serves from a worker process it starts.
    """
    total = 0.0
    for process in (pid, *_descendants(pid)):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found += [child, *_descendants(child)]
    return found


@contextlib.contextmanager
def running(command: list[str], port: int) -> Iterator[int]:
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(pinned(0, command), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_until_listening(port, process)
        yield process.pid  # taskset execs the server: same pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (children inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
