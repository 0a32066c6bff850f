"""``duck clearsessions`` in a project made by startproject: expired database sessions go, live ones stay."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import assert_one_line_error, run_duck

# One session that expired a day ago (created 15 days ago, SESSION_COOKIE_AGE is 14) and one just created.
SAVE_TWO_SESSIONS = """
import time
from duck.sessions import Record
from duck.sessions.stores import DatabaseStore
now = time.time()
store = DatabaseStore()
store.save(None, Record({"n": 1}, now - 15 * 86400, now - 15 * 86400), now - 15 * 86400)
print(store.save(None, Record({"n": 2}, now, now), now))
"""


def use_database_sessions(project: Path) -> None:
    settings = project / "settings.py"
    settings.write_text(settings.read_text() + '\nSESSION_STORE = "database"\nMODELS += ["duck.sessions.models"]\n')


def test_clearsessions_deletes_expired_rows_and_keeps_live_sessions(project):
    use_database_sessions(project)
    assert run_duck("db", "makemigrations", "-m", "sessions", cwd=project).returncode == 0
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    saved = run_duck("shell", "-c", SAVE_TWO_SESSIONS, cwd=project)
    assert saved.returncode == 0, saved.stderr
    live_key = saved.stdout.strip()
    result = run_duck("clearsessions", cwd=project)
    assert (result.returncode, result.stdout.strip()) == (0, "Deleted 1 expired session."), result.stderr
    assert run_duck("clearsessions", cwd=project).stdout.strip() == "Deleted 0 expired sessions."
    code = f"from duck.sessions.stores import DatabaseStore; print(DatabaseStore().load({live_key!r})[1].data)"
    assert run_duck("shell", "-c", code, cwd=project).stdout.strip() == "{'n': 2}"


def test_clearsessions_before_migrating_says_what_to_run(project):
    use_database_sessions(project)
    assert_one_line_error(run_duck("clearsessions", cwd=project), "run 'duck db makemigrations' and 'duck db migrate'")


def test_stores_that_expire_by_themselves_have_nothing_to_clear(project):
    result = run_duck("clearsessions", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SESSION_STORE = 'cookie' expires sessions by itself: nothing to clear."
