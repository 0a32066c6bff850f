"""The db / async_db fixtures as a project uses them: pytest run in a startproject'ed folder.

Each test's writes (its own, and its views' through the test clients) are rolled back, on SQLite
and on PostgreSQL; the schema comes from the project's migrations.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import duck_env, run_duck
from tests.cli.test_data_commands import add_model

pytestmark = pytest.mark.slow

VIEWS = """

from sqlalchemy import select

from duck.http.response import JsonResponse
from models import Message


def messages(request):
    if request.method == "POST":
        request.db.add(Message(text=request.POST["text"]))
        request.db.commit()
    return JsonResponse({"messages": request.db.scalars(select(Message.text).order_by(Message.id)).all()})


async def async_messages(request):
    if request.method == "POST":
        request.async_db.add(Message(text=request.POST["text"]))
        await request.async_db.commit()
    texts = (await request.async_db.scalars(select(Message.text).order_by(Message.id))).all()
    return JsonResponse({"messages": texts})
"""

TESTS = """
import pytest
from sqlalchemy import select

from duck.test import AsyncClient, Client, setup_test_environment
from models import Message

setup_test_environment()


def test_views_see_rows_the_test_wrote(db):
    db.add(Message(text="from the test"))
    db.flush()
    assert Client().get("/messages").json() == {"messages": ["from the test"]}


def test_the_test_sees_rows_a_view_committed(db):
    assert Client().post("/messages", data={"text": "from a view"}).status_code == 200
    assert db.scalars(select(Message.text)).all() == ["from a view"]


def test_nothing_is_left_by_the_tests_before(db):
    assert db.scalars(select(Message)).all() == []


@pytest.mark.asyncio
async def test_async_views_and_the_async_session(async_db):
    async_db.add(Message(text="async test"))
    await async_db.flush()
    client = AsyncClient()
    response = await client.post("/async-messages", data={"text": "async view"})
    assert response.json() == {"messages": ["async test", "async view"]}


@pytest.mark.asyncio
async def test_nothing_is_left_by_the_async_test(async_db):
    assert (await async_db.scalars(select(Message))).all() == []
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_test_is_rolled_back(backend, request, tmp_path):
    assert run_duck("startproject", "mysite", cwd=tmp_path).returncode == 0
    project = tmp_path / "mysite"
    env = duck_env()
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        env["DUCK_DATABASE_URL"] = server.url(server.create_database())
    else:
        env["DUCK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    add_model(project)
    (project / "views.py").write_text((project / "views.py").read_text() + VIEWS)
    urls = (project / "urls.py").read_text()
    (project / "urls.py").write_text(
        urls.replace(
            'path("/", views.welcome, name="welcome"),',
            'path("/", views.welcome, name="welcome"),\n    path("/messages", views.messages),\n'
            '    path("/async-messages", views.async_messages),',
        )
    )
    assert run_duck("db", "migrate", cwd=project, env=env).returncode == 0  # the first migration: users
    made = subprocess.run(
        [sys.executable, "-m", "duck", "db", "makemigrations", "-m", "add message"],
        cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (project / "test_messages.py").write_text(TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "test_messages.py",
         "-o", "asyncio_default_fixture_loop_scope=function"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
    # The tests ran on a test database of their own, migrated there: the project's never got the
    # message table (its migration is not applied there), and the test database is gone.
    code = "from sqlalchemy import inspect; print(inspect(session.bind).has_table('message'))"
    shell = subprocess.run(
        [sys.executable, "-m", "duck", "shell", "-c", code],
        cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shell.stdout.strip() == "False", shell.stdout + shell.stderr
    if backend == "postgresql":
        from sqlalchemy import create_engine, text

        engine = create_engine(server.url("postgres", driver="psycopg"))
        try:
            with engine.connect() as connection:
                names = connection.execute(text("SELECT datname FROM pg_database")).scalars().all()
        finally:
            engine.dispose()
        assert not [name for name in names if name.startswith("test_")], names
