"""duck check: errors and warnings are findings, counted apart; --fail-level decides the exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_duck

TYPO = "warning: Unknown setting ALLOWED_HOST in settings module 'settings': did you mean ALLOWED_HOSTS?"


@pytest.fixture
def migrated(project: Path) -> Path:
    """A new project whose database is up to date: the checks start from "No problems found."."""
    for command in (("db", "makemigrations", "-m", "users"), ("db", "migrate")):
        result = run_duck(*command, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr
    result = run_duck("check", cwd=project)
    assert (result.returncode, result.stdout) == (0, "No problems found.\n"), result.stdout + result.stderr
    return project


def test_a_probable_typo_in_a_setting_is_a_warning_failing_only_at_fail_level_warning(migrated):
    with (migrated / "settings.py").open("a") as settings:
        settings.write('\nALLOWED_HOST = ["example.com"]\n')
    result = run_duck("check", cwd=migrated)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [TYPO]
    assert result.stderr == "1 warning found.\n"  # and the log line is not printed a second time
    for level in ("WARNING", "warning"):
        result = run_duck("check", "--fail-level", level, cwd=migrated)
        assert (result.returncode, result.stdout.splitlines()) == (1, [TYPO])
    assert run_duck("check", "--fail-level", "ERROR", cwd=migrated).returncode == 0
    result = run_duck("check", "--fail-level", "INFO", cwd=migrated)
    assert result.returncode == 2 and "invalid choice: 'INFO'" in result.stderr


def test_errors_come_first_and_are_counted_apart_from_warnings(migrated):
    with (migrated / "settings.py").open("a") as settings:
        settings.write('\nALLOWED_HOST = ["example.com"]\n')
    login = migrated / "templates" / "login.html"
    lines = login.read_text().splitlines()
    number = next(index for index, line in enumerate(lines, start=1) if "url('welcome')" in line)
    login.write_text(login.read_text().replace("url('welcome')", "url('welcom')"))
    (migrated / "templates" / "extra.html").write_text("\n{{ url('nowhere') }}\n")
    result = run_duck("check", cwd=migrated)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "error: templates/extra.html:2: url('nowhere') names no route.",
        f"error: templates/login.html:{number}: url('welcom') names no route: did you mean 'welcome'?",
        TYPO,
    ]
    assert result.stderr == "2 errors, 1 warning found.\n"


def test_template_names_are_not_checked_against_a_url_conf_that_does_not_load(migrated):
    (migrated / "urls.py").write_text("urlpatterns = [broken]\n")
    result = run_duck("check", cwd=migrated)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1, result.stdout  # the URL conf; not every url() of every template
    assert result.stdout.startswith("error: urls: the URL conf 'urls' failed to load: NameError")
