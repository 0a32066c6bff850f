"""Run ``python -m duck`` as a subprocess, the way users run it, with every wait bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Generous: a cold interpreter on a loaded CI machine; a hang still fails instead of blocking the suite.
COMMAND_TIMEOUT = 60


def duck_env(**extra: str) -> dict[str, str]:
    """The environment of a duck subprocess: this checkout importable, no settings inherited."""
    env = {key: value for key, value in os.environ.items() if key not in ("DUCK_SETTINGS_MODULE", "DUCK_RUN_MAIN")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep generated projects free of __pycache__
    env.update(extra)
    return env


def run_duck(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duck", *args],
        cwd=cwd,
        env=duck_env(**(env or {})),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """The user-facing error contract: non-zero exit, one ``duck: error:`` line, no traceback."""
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("duck: error: "), result.stderr
    assert fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh ``duck startproject mysite`` in a temporary folder."""
    result = run_duck("startproject", "mysite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "mysite"
