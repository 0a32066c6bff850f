"""``--reload``: a parent process restarts the serving child whenever a ``.py`` or ``.html`` file changes.

The parent never imports the project: it re-runs the same command line with ``DUCK_RUN_MAIN=true`` in
the environment (the child then serves instead of reloading) and polls file modification times, which
works everywhere without extra dependencies. A child that crashes (a syntax error) is restarted at the
next change.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from types import FrameType

from duck.exceptions import ServerError

logger = logging.getLogger("duck.server")

RUN_MAIN_ENV = "DUCK_RUN_MAIN"
WATCHED_SUFFIXES = (".py", ".html")
# Folders that change often, hold no project source, or are huge: never walked.
IGNORED_DIRS = frozenset(
    {"__pycache__", "node_modules", "venv", "env", "site-packages", "build", "dist", "staticfiles"}
)


def is_reloader_child() -> bool:
    """True inside the process the reloader started (which must serve, not reload again)."""
    return os.environ.get(RUN_MAIN_ENV) == "true"


class FileWatcher:
    """Modification times of the watched files under ``root``; :meth:`changed` reports what moved.

    Args:
        root: the project folder.
        suffixes: file endings that trigger a reload.
    """

    def __init__(self, root: str | os.PathLike[str], suffixes: Iterable[str] = WATCHED_SUFFIXES) -> None:
        self.root = os.fspath(root)
        self.suffixes = tuple(suffixes)
        self._mtimes = self.snapshot()

    def __repr__(self) -> str:
        return f"<FileWatcher {self.root!r} files={len(self._mtimes)}>"

    def snapshot(self) -> dict[str, int]:
        mtimes: dict[str, int] = {}
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.startswith(".")]
            for name in files:
                if name.endswith(self.suffixes):
                    path = os.path.join(folder, name)
                    try:
                        mtimes[path] = os.stat(path).st_mtime_ns
                    except OSError:  # deleted between listing and stat
                        continue
        return mtimes

    def changed(self) -> list[str]:
        """Files added, modified or removed since the previous call (or since creation)."""
        current = self.snapshot()
        previous = self._mtimes
        self._mtimes = current
        changes = [path for path, mtime in current.items() if previous.get(path) != mtime]
        changes.extend(path for path in previous if path not in current)
        return sorted(changes)


def child_arguments() -> list[str]:
    """The command line that started this process, to run it again (``python -m duck ...`` included)."""
    import __main__

    args = [sys.executable, *(f"-W{option}" for option in sys.warnoptions)]
    spec = getattr(__main__, "__spec__", None)
    if spec is not None and spec.name:
        name = spec.parent if spec.name.endswith("__main__") and spec.parent else spec.name
        args += ["-m", name]
    elif sys.argv[0] in ("-c", ""):
        raise ServerError("--reload needs a script or `python -m module` to re-run; `python -c` cannot be.")
    else:
        args.append(sys.argv[0])
    return args + sys.argv[1:]


class Reloader:
    """Run ``args`` as a child process and restart it when watched files change."""

    def __init__(
        self, root: str, args: Sequence[str], *, interval: float = 0.5, shutdown_timeout: float = 10.0
    ) -> None:
        self.watcher = FileWatcher(root)
        self.args = list(args)
        self.interval = interval
        self.shutdown_timeout = shutdown_timeout
        self.child: subprocess.Popen[bytes] | None = None
        self._stop = False

    def run(self) -> int:
        """Serve through children until SIGINT/SIGTERM; returns the last child's exit code (0 on a stop)."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        logger.info("Watching %s for changes (%s).", self.watcher.root, ", ".join(self.watcher.suffixes))
        try:
            self._start()
            while not self._stop:
                time.sleep(self.interval)
                changes = self.watcher.changed()
                if changes:
                    more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
                    logger.info("%s changed%s, restarting.", changes[0], more)
                    self._stop_child()
                    self._start()
                elif self.child is not None and self.child.poll() is not None:
                    code = self.child.returncode
                    self.child = None
                    if code == 0:
                        return 0
                    logger.error("The server exited with code %s; waiting for a file change to restart.", code)
            return 0
        finally:
            self._stop_child()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop = True

    def _start(self) -> None:
        env = {**os.environ, RUN_MAIN_ENV: "true"}
        # A new session: Ctrl-C in the terminal reaches only this process, which stops the child once.
        self.child = subprocess.Popen(self.args, env=env, start_new_session=True)

    def _stop_child(self) -> None:
        child, self.child = self.child, None
        if child is None:
            return
        if child.poll() is None:
            child.terminate()  # SIGTERM: the child's server shuts down gracefully
            try:
                child.wait(self.shutdown_timeout + 2.0)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def run_with_reloader(root: str | None = None, *, interval: float = 0.5, shutdown_timeout: float = 10.0) -> int:
    """Re-run this command line in a child and restart it when files under ``root`` (default: cwd) change."""
    reloader = Reloader(root or os.getcwd(), child_arguments(), interval=interval, shutdown_timeout=shutdown_timeout)
    return reloader.run()
