"""A project fresh from ``duck startproject``: its own tests pass, its lint is clean, and every
commented example in it works once uncommented, served by ``duck runserver``.

A commented example is introduced by a comment line that says "Uncomment"; the comment lines
right after it (same indentation) are the code.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.cli.conftest import COMMAND_TIMEOUT, duck_env
from tests.cli.test_runserver import fetch, running_server

_INTRO = re.compile(r"^\s*# .*\buncomment\b", re.IGNORECASE)
_CODE = re.compile(r"^(?P<indent>\s*)#(?: (?P<code>.*))?$")


def uncomment_examples(text: str) -> tuple[str, int]:
    """The text with every commented example uncommented, and how many examples there were."""
    lines = text.split("\n")
    count = 0
    i = 0
    while i < len(lines):
        if _INTRO.match(lines[i]):
            indent = len(lines[i]) - len(lines[i].lstrip())
            count += 1
            i += 1
            while i < len(lines) and (match := _CODE.match(lines[i])) and len(match["indent"]) == indent:
                lines[i] = match["indent"] + (match["code"] or "") if match["code"] else ""
                i += 1
        else:
            i += 1
    return "\n".join(lines), count


def test_uncommenting_finds_the_code_and_keeps_the_rest():
    text = "x = 1\n# Uncomment for y:\n# y = 2\n#\n# def f():\n#     return y\n# a note\nz = 3\n"
    assert uncomment_examples(text) == (
        "x = 1\n# Uncomment for y:\ny = 2\n\ndef f():\n    return y\na note\nz = 3\n",
        1,
    )


def run(*command: str, cwd: Path, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``python [python options] -m command`` in ``cwd``."""
    env = duck_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [sys.executable, *python, "-m", *command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT * 2,
        check=False,
    )


def assert_tests_and_lint_pass(project: Path) -> None:
    # Without a warning, with pytest-asyncio (whose newer releases warn when the project leaves its
    # fixture loop scope unset) and without it (pytest warns about an unknown option when it is set).
    # ``python -W error`` too: pytest before 9.1 leaves warnings raised while it configures to Python.
    for command in (
        ("pytest", "-q", "-p", "no:cacheprovider", "-W", "error"),
        ("pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-p", "no:asyncio"),
    ):
        result = run(*command, cwd=project, python=("-W", "error"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "5 passed" in result.stdout, result.stdout
        assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    for command in (("ruff", "check", "--no-cache", "."), ("ruff", "format", "--no-cache", "--check", ".")):
        result = run(*command, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_pytest_inside_a_fresh_project_passes_at_once(project):
    """Nothing added: no conftest, no ALLOWED_HOSTS edit, no pytest-asyncio (``-p no:asyncio``)."""
    assert_tests_and_lint_pass(project)


@pytest.mark.slow
def test_every_commented_example_works_uncommented_and_is_served(project):
    total = 0
    for path in sorted(project.rglob("*.py")):
        text, count = uncomment_examples(path.read_text())
        path.write_text(text)
        total += count
    assert total >= 2, "the template's commented examples were not found: did their wording change?"
    assert "# path(" not in (project / "urls.py").read_text()
    assert_tests_and_lint_pass(project)

    with running_server(project) as url:
        status, _, body = fetch(url)
        assert status == 200 and b"mysite is running" in body
        base = url.replace("http://", "ws://")

        async def talk() -> tuple[str, list[str]]:
            async with connect(base + "ws/echo", open_timeout=10) as echo:
                await echo.send("hi")
                echoed = await asyncio.wait_for(echo.recv(), 10)
            async with (
                connect(base + "ws/chat", open_timeout=10) as ann,
                connect(base + "ws/chat", open_timeout=10) as bob,
            ):
                await ann.send("hello room")
                heard = [await asyncio.wait_for(peer.recv(), 10) for peer in (ann, bob)]
            return echoed, heard

        echoed, heard = asyncio.run(talk())
    assert echoed == "You sent hi"
    assert heard == ["hello room", "hello room"]
