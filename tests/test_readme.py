"""README.md's Quick start, followed as written in temporary copies of the repository.

Its two commands must work on a fresh clone in either order, and again: the first installs duck
and serves a new project (``mysite/`` inside the copy, the second time the one already there);
the second, the test command, must pass whatever the first left behind. The commands run in a
fresh virtual environment that sees this environment's packages (so nothing is downloaded but
pip's build requirements), with two substitutions, both said here: the server listens on a free
port (``duck runserver PORT``), and the test command runs a small pytest selection (lint and mypy
are not reduced) that includes the tests making projects named ``mysite`` of their own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# test_startproject makes projects named mysite while the Quick start's is on the path (issue 19).
PYTEST_SELECTION = "tests/conf/test_checks.py tests/cli/test_startproject.py"
STEP_TIMEOUT = 300  # seconds for one command (an editable install builds a wheel)


def quick_start() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_the_quick_start_is_two_commands():
    commands = quick_start()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert commands[1] == "bash scripts/test.sh"
    assert commands[0].endswith("duck runserver")


def copy_repository(target: Path) -> None:
    """The working tree as a clone would have it: tracked and new files, nothing git ignores."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(source), target / name)
        elif source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def make_venv(path: Path) -> dict[str, str]:
    """A virtual environment whose site-packages also sees this one's (but not its duck)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=STEP_TIMEOUT)
    purelib = subprocess.run(
        [str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    # A plain path line: this environment's packages import, its own .pth files (duck's editable
    # install among them) are not run, so `duck` comes from the copy once installed there.
    Path(purelib, "zz_outer_environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DUCK_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)
    env.update(PATH=f"{path / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(path), PYTHONDONTWRITEBYTECODE="1")
    return env


def wait_for_page(url: str, process: subprocess.Popen, log: Path) -> bytes:
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Quick start command exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the Quick start command did not serve {url} in time:\n{log.read_text()}")


def stop_group(process: subprocess.Popen) -> None:
    """CONTROL-C to the command's whole process group (bash and the server it started), as a terminal does."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def run_quick_start(clone: Path, env: dict[str, str], log: Path) -> bytes:
    """The first command, served on a free port; its home page, once it answers."""
    from tests.cli.test_runserver import free_port

    run_command = quick_start()[0]
    port = free_port()
    with open(log, "wb") as output:
        server = subprocess.Popen(
            ["bash", "-c", f"{run_command} {port}"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        return wait_for_page(f"http://127.0.0.1:{port}/", server, log)
    finally:
        stop_group(server)


def run_test_command(clone: Path, env: dict[str, str]) -> str:
    """The second command, with the pytest selection; its output, once it passed."""
    tests = subprocess.run(
        ["bash", "-c", f"{quick_start()[1]} {PYTEST_SELECTION} -q -p no:cacheprovider"],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    output = tests.stdout + tests.stderr
    assert tests.returncode == 0, output
    assert "All checks passed!" in output  # ruff check ran over the copy
    assert re.search(r"\d+ passed", output), output
    assert " failed" not in output and " error" not in output, output
    return output


@pytest.mark.slow
@pytest.mark.timeout(4 * STEP_TIMEOUT)  # four commands, each bounded by STEP_TIMEOUT
def test_quick_start_then_the_test_command_then_both_again(tmp_path):
    clone = tmp_path / "duck"
    copy_repository(clone)
    env = make_venv(tmp_path / "venv")

    assert b"mysite is running" in run_quick_start(clone, env, tmp_path / "first.log")
    assert (clone / "mysite" / "settings.py").is_file()
    run_test_command(clone, env)
    # Again: the project made the first time is served, not made anew (nor refused as existing).
    (clone / "mysite" / "templates" / "marker.txt").write_text("kept")
    assert b"mysite is running" in run_quick_start(clone, env, tmp_path / "second.log")
    assert (clone / "mysite" / "templates" / "marker.txt").read_text() == "kept"
    run_test_command(clone, env)


@pytest.mark.slow
@pytest.mark.timeout(2 * STEP_TIMEOUT)
def test_the_test_command_then_the_quick_start(tmp_path):
    clone = tmp_path / "duck"
    copy_repository(clone)
    env = make_venv(tmp_path / "venv")

    run_test_command(clone, env)
    assert b"mysite is running" in run_quick_start(clone, env, tmp_path / "quickstart.log")
