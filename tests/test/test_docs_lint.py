"""The Python the docs give users to put in a project passes ``ruff check`` with the project's own settings.

A new project's pyproject.toml (project_template/pyproject.toml-tpl) selects E, F, W, I, B and UP at
100 columns. What a user pastes from the docs must not fail them: the tutorial's files at each of its
checks (as the tutorial leaves them, with its imports sorted and every import used), and each page's
``module`` blocks, written as the files they name, next to each other in a project folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import run_duck
from tests.test.test_docs import ALL_BLOCKS
from tests.test.test_docs_tutorial import TUTORIAL, blocks_of, replay_tutorial

ROOT = Path(__file__).resolve().parents[2]
PAGES_WITH_MODULES = sorted({block.page for block in ALL_BLOCKS if block.kind == "module"})


def ruff_check(project: Path, files: list[str]) -> str | None:
    """ruff's findings on ``files`` of ``project`` with the project's settings, or None when it finds nothing."""
    config = str(project / "pyproject.toml")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "--config", config, *files],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 2: ruff itself failed (a bad configuration)
    return result.stdout if result.returncode else None


@pytest.fixture(scope="module")
def project_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pyproject.toml of a new project, as ``duck startproject`` writes it."""
    folder = tmp_path_factory.mktemp("startproject")
    result = run_duck("startproject", "mysite", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "mysite" / "pyproject.toml"


def test_ruff_sees_the_projects_settings(tmp_path, project_settings):
    """The check below can fail: a line of 101 characters is a finding with the project's settings."""
    (tmp_path / "pyproject.toml").write_text(project_settings.read_text())
    (tmp_path / "long.py").write_text(f"X = {'1' * 97}\n")
    assert "E501" in (ruff_check(tmp_path, ["long.py"]) or "")


@pytest.mark.slow
def test_the_tutorials_python_passes_the_projects_ruff_settings(tmp_path):
    steps = [block for block in blocks_of(TUTORIAL) if block.lang == "python" and block.kind == "tutorial"]
    pasted = sorted({str(block.target).partition(";")[0].split()[-1] for block in steps})
    assert "views.py" in pasted and "models.py" in pasted
    findings: dict[str, str] = {}

    def lint(check: str, project: Path) -> None:
        found = ruff_check(project, [name for name in pasted if (project / name).exists()])
        if found:
            findings[check] = found

    replay_tutorial(tmp_path, lint)
    assert not findings, "the tutorial's code fails the project's ruff settings:\n" + "\n".join(
        f"at check {check!r}:\n{found}" for check, found in findings.items()
    )


def test_the_tutorials_python_excerpts_pass_the_projects_ruff_settings(tmp_path, project_settings):
    """The lines it shows for settings.py and the like, each on its own."""
    (tmp_path / "pyproject.toml").write_text(project_settings.read_text())
    excerpts = [block for block in blocks_of(TUTORIAL) if block.lang == "python" and block.kind == "excerpt"]
    assert excerpts
    for index, block in enumerate(excerpts):
        (tmp_path / f"excerpt{index}.py").write_text(block.code + "\n")
    found = ruff_check(tmp_path, [f"excerpt{index}.py" for index in range(len(excerpts))])
    assert found is None, f"the tutorial's excerpts fail the project's ruff settings:\n{found}"


@pytest.mark.parametrize("page", PAGES_WITH_MODULES, ids=lambda page: page.name)
def test_module_blocks_pass_the_projects_ruff_settings(page: Path, tmp_path, project_settings):
    (tmp_path / "pyproject.toml").write_text(project_settings.read_text())
    names = []
    for block in blocks_of(page):
        if block.kind == "module":
            assert block.target
            names.append(f"{block.target.replace('.', '/')}.py")
            (tmp_path / names[-1]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / names[-1]).write_text(block.code + "\n")
    found = ruff_check(tmp_path, names)
    assert found is None, f"{page.name}'s module blocks fail the project's ruff settings:\n{found}"
