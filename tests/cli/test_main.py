"""``duck --version``, ``--help`` of every command, and the exit status of a bare ``duck``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from duck import __version__
from duck.cli import main
from tests.cli.conftest import duck_env, run_duck


def test_version(tmp_path):
    result = run_duck("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"duck {__version__}"


def test_main_help_lists_every_command(tmp_path):
    result = run_duck("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("startproject", "runserver", "collectstatic"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("startproject", ["name", "directory"]),
        ("runserver", ["ADDR:PORT", "--workers", "--reload", "--settings"]),
        ("collectstatic", ["--noinput", "--clear", "--settings"]),
    ],
)
def test_each_command_has_help(tmp_path, command, options):
    result = run_duck(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: duck {command}")
    for option in options:
        assert option in result.stdout


def test_no_command_prints_help_and_fails(tmp_path):
    result = run_duck(cwd=tmp_path)
    assert result.returncode == 2
    assert "startproject" in result.stderr


def test_main_returns_the_status_in_process(capsys):
    assert main(["startproject", "1bad"]) == 1
    assert capsys.readouterr().err.startswith("duck: error: '1bad' is not a valid project name")


def test_help_does_not_import_the_server_or_the_project(tmp_path):
    # `duck --help` and `duck startproject` stay fast, and work even where the server cannot import.
    code = (
        "import sys; from duck.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('duck.server', 'duck.urls'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=duck_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
