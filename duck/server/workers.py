"""``--workers N``: a supervisor forks N worker processes that accept on one shared listening socket.

The socket is bound once, before forking, so "port in use" surfaces in the supervisor as a
:class:`~duck.exceptions.ServerError`, and every worker inherits it (the kernel hands each new
connection to one of the processes waiting in accept). A worker that dies is replaced; SIGTERM or
SIGINT to the supervisor is forwarded to the workers, which shut down gracefully.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

from duck.exceptions import ServerError

logger = logging.getLogger("duck.server")

# A worker that exits sooner than this after starting counts as a failed start.
_QUICK_EXIT = 1.0
# Consecutive failed starts after which the supervisor gives up (a broken project would loop forever).
_MAX_FAILED_STARTS = 5
# Seconds between checks for dead workers; signals interrupt the wait.
_POLL_INTERVAL = 0.1
# Extra seconds granted to workers beyond their own SERVER_SHUTDOWN_TIMEOUT before they are killed.
_KILL_GRACE = 5.0


def describe_status(status: int) -> str:
    """``"exit code 1"`` or ``"killed by SIGKILL"`` from a ``waitpid`` status."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class WorkerSupervisor:
    """Keep ``workers`` forked processes running ``target(sock)`` until told to stop.

    Args:
        sock: the bound listening socket shared by the workers.
        workers: how many worker processes to keep alive.
        target: run in each forked worker with the socket; returns the worker's exit code.
        shutdown_timeout: the workers' graceful shutdown time; they are killed if they take longer.
    """

    def __init__(
        self, sock: socket.socket, workers: int, target: Callable[[socket.socket], int], shutdown_timeout: float
    ) -> None:
        self.sock = sock
        self.workers = workers
        self.target = target
        self.shutdown_timeout = shutdown_timeout
        self.children: dict[int, float] = {}  # pid -> monotonic start time
        self._stopping = False
        self._kill_at = 0.0
        self._failed_starts = 0

    def __repr__(self) -> str:
        return f"<WorkerSupervisor workers={self.workers} running={sorted(self.children)}>"

    def run(self) -> int:
        """Fork the workers and supervise them; returns 0 after a requested stop.

        Raises:
            ServerError: workers keep failing right after they start.
        """
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            for _ in range(self.workers):
                self._spawn()
            while self.children:
                self._reap()
                if self._stopping:
                    if time.monotonic() > self._kill_at:
                        self._signal_all(signal.SIGKILL)
                elif len(self.children) < self.workers:
                    self._replace()
                time.sleep(_POLL_INTERVAL)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._kill_and_reap()
            self.sock.close()
        return 0

    def stop(self) -> None:
        """Ask every worker to shut down gracefully (a second call makes them skip the wait)."""
        if not self._stopping:
            logger.info("Stopping %d worker(s)...", len(self.children))
            self._stopping = True
            self._kill_at = time.monotonic() + self.shutdown_timeout + _KILL_GRACE
        self._signal_all(signal.SIGTERM)

    # -- internals -------------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop()

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: never return into the supervisor's code
            code = 1
            try:
                # Its own process group: a terminal's Ctrl-C reaches only the supervisor, which forwards
                # one SIGTERM (a second signal would make the worker skip its graceful wait).
                os.setpgid(0, 0)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = self.target(self.sock)
            except BaseException:
                logger.exception("Worker %d crashed", os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = time.monotonic()
        logger.info("Worker %d started.", pid)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None:
                continue
            if self._stopping:
                logger.info("Worker %d stopped (%s).", pid, describe_status(status))
                continue
            logger.warning("Worker %d died (%s); starting a new one.", pid, describe_status(status))
            if time.monotonic() - started < _QUICK_EXIT:
                self._failed_starts += 1
            else:
                self._failed_starts = 0

    def _replace(self) -> None:
        if self._failed_starts >= _MAX_FAILED_STARTS:
            self.stop()
            raise ServerError(
                f"Workers exited right after starting {self._failed_starts} times in a row; "
                "see the errors above (settings, imports) and fix them before restarting."
            )
        if self._failed_starts:
            time.sleep(min(0.2 * 2**self._failed_starts, 5.0))  # back off a crash loop
        while len(self.children) < self.workers and not self._stopping:
            self._spawn()

    def _kill_and_reap(self) -> None:
        """Leave no worker behind (only reached with workers alive when the supervisor itself fails)."""
        self._signal_all(signal.SIGKILL)
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.children.clear()

    def _signal_all(self, signum: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
