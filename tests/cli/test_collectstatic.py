"""``duck collectstatic`` in a fresh project: copies, reports counts, asks first, fails in one line."""

from __future__ import annotations

from tests.cli.conftest import assert_one_line_error, run_duck


def test_collectstatic_copies_the_projects_static_files(project):
    result = run_duck("collectstatic", "--noinput", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "1 static file copied" in result.stdout
    assert "0 unmodified" in result.stdout
    copied = project / "staticfiles" / "css" / "style.css"
    assert copied.read_bytes() == (project / "static" / "css" / "style.css").read_bytes()


def test_second_run_reports_unmodified_files(project):
    run_duck("collectstatic", "--noinput", cwd=project)
    result = run_duck("collectstatic", "--noinput", cwd=project)
    assert "0 static files copied" in result.stdout
    assert "1 unmodified" in result.stdout


def test_clear_deletes_stale_files(project):
    stale = project / "staticfiles" / "old.js"
    stale.parent.mkdir()
    stale.write_text("old")
    result = run_duck("collectstatic", "--noinput", "--clear", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert "Deleted 1 file" in result.stdout


def test_without_noinput_it_asks_and_yes_proceeds(project):
    # Without a terminal it refuses rather than hang waiting for an answer no one can type.
    assert_one_line_error(run_duck("collectstatic", cwd=project), "--noinput")
    assert not (project / "staticfiles").exists()


def test_missing_static_root_is_one_line(project):
    settings_file = project / "settings.py"
    settings_file.write_text(settings_file.read_text().replace('STATIC_ROOT = BASE_DIR / "staticfiles"', ""))
    assert_one_line_error(run_duck("collectstatic", "--noinput", cwd=project), "STATIC_ROOT is not set")


def test_outside_a_project_is_one_line(tmp_path):
    assert_one_line_error(run_duck("collectstatic", "--noinput", cwd=tmp_path), "No settings found")
