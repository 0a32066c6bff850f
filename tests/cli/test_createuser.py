"""``duck createuser`` in a project made by startproject: the password from standard input, errors in one line."""

from __future__ import annotations

from tests.cli.conftest import assert_one_line_error, run_duck


def test_createuser_before_migrating_says_what_to_run(project):
    result = run_duck("createuser", "ann", "--password-stdin", cwd=project, stdin="correct horse\n")
    assert_one_line_error(result, "run 'duck db migrate' first")  # the first migration makes the users table


def test_createuser_with_no_migration_for_users_says_to_make_one(project):
    for path in (project / "migrations").glob("*.py"):
        path.unlink()
    result = run_duck("createuser", "ann", "--password-stdin", cwd=project, stdin="correct horse\n")
    assert_one_line_error(result, "run 'duck db makemigrations' and 'duck db migrate' first")


def test_createuser_reads_the_password_from_stdin_and_the_user_can_log_in(project):
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    result = run_duck("createuser", "ann", "--staff", "--password-stdin", cwd=project, stdin="correct horse\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Created user 'ann' (staff)."
    assert "correct horse" not in result.stdout + result.stderr
    taken = run_duck("createuser", "ann", "--password-stdin", cwd=project, stdin="another one\n")
    assert_one_line_error(taken, "is taken")
    short = run_duck("createuser", "bob", "--password-stdin", cwd=project, stdin="short\n")
    assert_one_line_error(short, "at least 8 characters")
    code = "from duck.auth import authenticate as a; print(a(None, username='ann', password='correct horse').is_staff)"
    check = run_duck("shell", "-c", code, cwd=project)
    assert check.stdout.strip() == "True", check.stderr


def test_without_a_terminal_the_password_must_come_from_stdin(project):
    assert_one_line_error(run_duck("createuser", "ann", cwd=project), "use --password-stdin")
