"""duck db, check, routes, shell and project commands, run as users run them (subprocesses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_duck

MODEL = """
from duck.db import Model
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class Message(Model):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
"""


def add_model(project: Path, extra: str = "") -> None:
    (project / "models.py").write_text((project / "models.py").read_text() + MODEL + extra)


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def migrated(project: Path) -> Path:
    add_model(project)
    ok(run_duck("db", "makemigrations", "-m", "add message", cwd=project))
    ok(run_duck("db", "migrate", cwd=project))
    return project


def test_a_new_project_has_models_and_a_first_migration_that_makes_the_users_table(project):
    """Issue 19: `duck db migrate` then `duck createuser` work in a new project, nothing hand-made."""
    assert "# class Message(Model):" in (project / "models.py").read_text()
    first = [path.name for path in (project / "migrations").glob("*.py")]
    assert len(first) == 1 and first[0].endswith("_users.py"), first
    history = ok(run_duck("db", "history", cwd=project))
    assert history.startswith("[pending] ") and "(head) users" in history
    assert "migrations: 1 migration not applied" in run_duck("check", cwd=project).stdout
    assert "Applied " in ok(run_duck("db", "migrate", cwd=project))
    assert "No changes detected" in ok(run_duck("db", "makemigrations", "-m", "nothing", cwd=project))
    assert ok(run_duck("check", cwd=project)).strip() == "No problems found."
    ok(run_duck("createuser", "ann", "--password-stdin", cwd=project, stdin="correct horse battery\n"))


def test_makemigrations_before_the_first_migrate_compares_with_the_migrations_not_the_database(project):
    """A new project's SQLite database is behind its first migration: makemigrations still works."""
    add_model(project)
    made = ok(run_duck("db", "makemigrations", "-m", "add message", cwd=project))
    path = next((project / "migrations").glob("*_add_message.py"))
    assert str(path) in made
    text = path.read_text()
    assert "op.create_table(" in text and "duck_user" not in text  # only what the first migration lacks
    assert ok(run_duck("db", "migrate", cwd=project)).count("Applied ") == 2
    assert ok(run_duck("check", cwd=project)).strip() == "No problems found."


def test_migrate_downgrade_history_current(migrated):
    history = ok(run_duck("db", "history", cwd=migrated))
    assert "[applied]" in history and "(head) add message" in history
    revision = history.split()[1]
    assert ok(run_duck("db", "current", cwd=migrated)).strip() == revision
    assert f"Reverted {revision}" in ok(run_duck("db", "downgrade", cwd=migrated))
    first = history.split("\n")[1].split()[1]  # the project's first migration (users)
    assert ok(run_duck("db", "current", cwd=migrated)).strip() == first
    assert "[pending]" in ok(run_duck("db", "history", cwd=migrated))
    assert f"Applied {revision}" in ok(run_duck("db", "migrate", cwd=migrated))
    assert "No migrations to apply." in ok(run_duck("db", "migrate", cwd=migrated))


def test_makemigrations_needs_a_message_and_every_db_command_has_help(project):
    assert run_duck("db", "makemigrations", cwd=project).returncode == 2
    for action in ("makemigrations", "migrate", "downgrade", "history", "current"):
        assert "usage: duck db " + action in ok(run_duck("db", action, "--help", cwd=project))
    for command in ("shell", "routes", "check", "db"):
        assert f"usage: duck {command}" in ok(run_duck(command, "--help", cwd=project))


def test_check_finds_unapplied_migrations_and_model_changes(migrated):
    ok(run_duck("db", "downgrade", cwd=migrated))
    result = run_duck("check", cwd=migrated)
    assert result.returncode == 1
    assert result.stdout.startswith("error: migrations: 1 migration not applied to database 'default'")
    assert "Traceback" not in result.stdout + result.stderr
    ok(run_duck("db", "migrate", cwd=migrated))
    (migrated / "models.py").write_text(
        (migrated / "models.py").read_text()
        + '\n\nclass Room(Model):\n    __tablename__ = "room"\n\n'
        + "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    result = run_duck("check", cwd=migrated)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "error: models: changes without a migration (add_table room): run 'duck db makemigrations -m MESSAGE', "
        "then 'duck db migrate'."
    ]


def test_check_prints_one_line_per_problem(project):
    ok(run_duck("db", "makemigrations", "-m", "users", cwd=project))
    ok(run_duck("db", "migrate", cwd=project))
    (project / "urls.py").write_text("import views\nurlpatterns = [broken]\n")
    import shutil

    shutil.rmtree(project / "templates")
    settings = (project / "settings.py").read_text()
    (project / "settings.py").write_text(
        settings + '\nDATABASES["other"] = {"URL": "postgresql://nobody@127.0.0.1:1/none"}\n'
    )
    result = run_duck("check", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    assert lines[0].startswith(
        "error: urls: the URL conf 'urls' failed to load: NameError: name 'broken' is not defined"
    )
    assert lines[1].startswith("error: templates: TEMPLATES[0]['DIRS'] names") and "not a folder" in lines[1]
    assert lines[2].startswith("error: database 'other' is unreachable:")
    assert result.stderr.strip() == "3 errors found."
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failed_migration_leaves_the_schema_as_it_was(project, backend, request):
    """PostgreSQL has transactional DDL; so has SQLite with duck's engines (they issue BEGIN themselves)."""
    env = {}
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        env["DUCK_DATABASE_URL"] = server.url(server.create_database())
    add_model(project)
    ok(run_duck("db", "migrate", cwd=project, env=env))
    ok(run_duck("db", "makemigrations", "-m", "add message", cwd=project, env=env))
    ok(run_duck("db", "migrate", cwd=project, env=env))
    migrated = project
    path = next((migrated / "migrations").glob("*add_message.py"))
    revision = path.read_text().split('revision: str = "')[1].split('"')[0]
    (migrated / "migrations" / "broken.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = 'broken1'\ndown_revision = {revision!r}\nbranch_labels = None\ndepends_on = None\n\n"
        "def upgrade():\n"
        "    op.create_table('half', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.drop_table('message')\n"
        "    op.execute('THIS IS NOT SQL')\n\n"
        "def downgrade():\n    pass\n"
    )
    result = run_duck("db", "migrate", cwd=migrated, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("duck: error: ") and "rolled back" in result.stderr, result.stderr
    code = "from sqlalchemy import inspect; print(sorted(inspect(session.bind).get_table_names()))"
    tables = ok(run_duck("shell", "-c", code, cwd=migrated, env=env))
    assert tables.strip() == "['alembic_version', 'duck_user', 'message']"
    assert ok(run_duck("db", "current", cwd=migrated, env=env)).strip() != "broken1"


def test_routes_lists_http_and_websocket_routes(project):
    (project / "urls.py").write_text(
        "from duck.contrib.websockets import WebSocketView\n"
        "from duck.urls import include, path\n\n"
        "import views\n\n\n"
        "class EchoSocket(WebSocketView):\n    pass\n\n\n"
        "api = [path('/items', views.welcome, name='items', methods=['POST'])]\n"
        "urlpatterns = [\n"
        "    path('/', views.welcome, name='welcome'),\n"
        "    path('/api', include((api, 'api'))),\n"
        "    path('/ws/echo', EchoSocket, name='echo'),\n"
        "]\n"
    )
    out = ok(run_duck("routes", cwd=project)).splitlines()
    assert [line.split() for line in out] == [
        ["PATTERN", "NAME", "METHODS", "VIEW", "KIND"],
        ["/", "welcome", "any", "views.welcome", "HTTP"],
        ["/api/items", "api:items", "POST", "views.welcome", "HTTP"],
        ["/ws/echo", "echo", "GET", "urls.EchoSocket", "WebSocket"],
    ]
    import json

    rows = json.loads(ok(run_duck("routes", "--json", cwd=project)))
    assert rows[-1] == {
        "pattern": "/ws/echo",
        "name": "echo",
        "methods": "GET",
        "view": "urls.EchoSocket",
        "kind": "WebSocket",
    }


def test_shell_has_settings_models_and_a_session(migrated):
    code = (
        "session.add(Message(text='hi')); session.commit(); "
        "print(settings.ROOT_URLCONF, session.scalars(select(Message.text)).all())"
    )
    assert ok(run_duck("shell", "-c", code, cwd=migrated)).strip() == "urls ['hi']"
    assert ok(run_duck("shell", cwd=migrated, stdin="print(Message.__tablename__)\n")).strip() == "message"


def test_project_commands(migrated):
    commands = migrated / "commands"
    commands.mkdir()
    (commands / "add_message.py").write_text(
        '"""Add a message to the database.\n\nMore words.\n"""\n\n'
        "from duck.db import get_session\n\n\n"
        "def add_arguments(parser):\n    parser.add_argument('text')\n"
        "    parser.add_argument('--times', type=int, default=1)\n\n\n"
        "def handle(args):\n    from models import Message\n\n"
        "    with get_session() as session, session.begin():\n"
        "        session.add_all([Message(text=args.text) for _ in range(args.times)])\n"
        "    print('added', args.times)\n"
    )
    (commands / "broken.py").write_text('"""Broken on purpose."""\nimport nothing_here\n\ndef handle(args): pass\n')
    listing = ok(run_duck("--help", cwd=migrated))
    assert "add-message" in listing and "Add a message to the database." in listing
    assert "Broken on purpose." in listing  # listing never imports a command
    help_text = ok(run_duck("add-message", "--help", cwd=migrated))
    assert "usage: duck add-message [-h] [--settings MODULE] [--times TIMES] text" in help_text
    assert "More words." in help_text
    assert ok(run_duck("add-message", "hello", "--times", "2", cwd=migrated)).strip() == "added 2"
    count = ok(run_duck("shell", "-c", "print(len(session.scalars(select(Message)).all()))", cwd=migrated))
    assert count.strip() == "2"
    broken = run_duck("broken", cwd=migrated)
    assert broken.returncode == 1 and "duck: error: Command 'broken' failed to import" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert ok(run_duck("routes", cwd=migrated))  # a broken project command breaks only itself


LONG_MODEL = """

class Reading(Model):
    __tablename__ = "reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_name_as_given_by_the_operator: Mapped[str] = mapped_column(
        String(200), index=True, server_default="unknown station"
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
"""


def test_migrations_duck_writes_pass_ruff_with_the_projects_settings(project):
    """Issue 19: a new migration had a trailing space after 'Revises:', unsorted imports, long lines."""
    import subprocess
    import sys

    add_model(project, "\nfrom sqlalchemy import ForeignKey\n" + LONG_MODEL)
    ok(run_duck("db", "makemigrations", "-m", "add message and reading", cwd=project))
    ok(run_duck("db", "migrate", cwd=project))
    assert len(list((project / "migrations").glob("*.py"))) == 2  # startproject's first one, and this one
    made = next((project / "migrations").glob("*_add_message_and_reading.py")).read_text()
    assert "op.create_index(" in made or "batch_op.create_index(" in made
    for command in (["check", "--no-cache", "migrations"], ["format", "--no-cache", "--check", "migrations"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    ok(run_duck("db", "downgrade", "base", cwd=project))  # the rewritten files still run both ways
    ok(run_duck("db", "migrate", cwd=project))
