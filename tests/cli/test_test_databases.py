"""A project's tests run on a database of their own, never on the development one (issue 19).

Each test here makes a project with ``duck startproject`` and runs ``pytest`` in it, as its owner
would: before the first migration, after users were created in the development database, twice.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import duck_env, run_duck

pytestmark = pytest.mark.slow


def pytest_in(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *args],
        cwd=project, env=env or duck_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def fingerprint(project: Path) -> dict[str, str]:
    """The development database's files (WAL included) by name, with their contents' hashes."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.glob("db.sqlite3*"))
        if path.stat().st_size
    }


def test_pytest_before_the_first_migration_leaves_no_tables_behind(project):
    result = pytest_in(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
    assert fingerprint(project) == {}  # the development database was not even created
    check = run_duck("check", cwd=project)
    assert "1 migration not applied" in check.stdout, check.stdout  # still true: nothing was made behind its back
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    assert "No changes detected" in run_duck("db", "makemigrations", "-m", "users", cwd=project).stdout


def test_the_development_database_is_untouched_by_tests_that_write_users(project):
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    created = run_duck("createuser", "ann", "--password-stdin", cwd=project, stdin="correct horse battery\n")
    assert created.returncode == 0, created.stderr  # the generated test logs in as ann too
    before = fingerprint(project)
    assert before
    for _ in range(2):
        result = pytest_in(project)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "5 passed" in result.stdout
    assert fingerprint(project) == before


MIXED = """
from duck.auth import create_user
from duck.test import AsyncClient, Client
from duck.auth import get_user_model
from sqlalchemy import func, select


def test_a_sync_rollback_refuses_async_sessions(db):
    response = Client().get("/users")  # DEBUG is on: the 500 page shows the error
    assert response.status_code == 500
    assert "Use the transactional_db fixture" in response.text


def test_transactional_db_commits_for_everyone(transactional_db):
    create_user("ann", "correct horse battery")
    assert Client().get("/users").json() == {"users": 1}


async def test_async_transactional_db_sees_sync_views(async_transactional_db):
    client = AsyncClient()
    assert (await client.post("/login", data={"username": "x", "password": "y"})).status_code == 400
    create_user("bob", "correct horse battery")
    assert (await client.get("/users")).json() == {"users": 1}


def test_and_every_table_was_emptied_after_each(transactional_db):
    assert transactional_db.scalar(select(func.count()).select_from(get_user_model())) == 0
"""

COUNT_VIEW = """

from duck.auth import get_user_model as _user_model
from duck.http import JsonResponse
from sqlalchemy import func as _func
from sqlalchemy import select as _select


async def users(request):
    count = await request.async_db.scalar(_select(_func.count()).select_from(_user_model()))
    return JsonResponse({"users": count})
"""


def test_transactional_fixtures_commit_and_empty_and_db_refuses_mixed_sessions(project):
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    (project / "views.py").write_text((project / "views.py").read_text() + COUNT_VIEW)
    urls = (project / "urls.py").read_text()
    (project / "urls.py").write_text(
        urls.replace('path("/", views.welcome, name="welcome"),', 'path("/", views.welcome, name="welcome"),\n'
                     '    path("/users", views.users),')
    )  # fmt: skip
    (project / "tests" / "test_mixed.py").write_text(MIXED)
    result = pytest_in(project, "tests/test_mixed.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
