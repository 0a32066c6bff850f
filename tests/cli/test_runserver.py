"""``duck runserver``: address parsing, one-line errors, and serving a fresh project for real."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from duck.cli.runserver import parse_addrport
from duck.exceptions import CommandError
from tests.cli.conftest import assert_one_line_error, duck_env, run_duck

# Bound on waiting for a started server to answer (a cold start is well under a second).
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:8000", ("0.0.0.0", 8000)),
        ("127.0.0.1:1", ("127.0.0.1", 1)),
        ("localhost:65535", ("localhost", 65535)),
        ("[::1]:8000", ("::1", 8000)),
        ("[::]:9000", ("::", 9000)),
    ],
)
def test_addrport_forms(text, expected):
    assert parse_addrport(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("notaport", "not a port or ADDR:PORT"),
        ("::1:8000", "brackets"),
        ("[::1]", "not a valid [IPv6]:PORT"),
        ("[nothex]:80", "not a valid [IPv6]:PORT"),
        ("0", "from 1 to 65535"),
        ("70000", "from 1 to 65535"),
        ("127.0.0.1:", "from 1 to 65535"),
        ("bad host!:80", "not a valid address"),
    ],
)
def test_bad_addrport_is_a_command_error(text, fragment):
    with pytest.raises(CommandError, match=re.escape(fragment)):
        parse_addrport(text)


def test_bad_addrport_is_one_line_on_the_command_line(tmp_path):
    assert_one_line_error(run_duck("runserver", "notaport", cwd=tmp_path), "not a port")


def test_bad_workers_is_a_usage_error(tmp_path):
    result = run_duck("runserver", "--workers", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_outside_a_project_says_where_settings_are_looked_for(tmp_path):
    assert_one_line_error(run_duck("runserver", cwd=tmp_path), "No settings found")


def test_from_the_folder_above_a_project_the_error_says_cd(project):
    assert_one_line_error(run_duck("runserver", cwd=project.parent), "'mysite' here is a project: cd mysite")


def test_settings_named_by_the_project_folder_from_inside_it_says_what_works(project):
    result = run_duck("runserver", "--settings", "mysite.settings", cwd=project)
    assert_one_line_error(result, "run 'duck runserver --settings settings'")


def test_unknown_settings_module_is_one_line(project):
    assert_one_line_error(run_duck("runserver", "--settings", "nosuch.settings", cwd=project), "could not be found")


def test_broken_settings_are_one_line(project):
    (project / "settings.py").write_text("DEBUG = True\nALLOWED_HOSTS = 'example.com'\n")
    assert_one_line_error(run_duck("runserver", cwd=project), "expected list of str: write ['example.com']")


def test_syntax_error_in_a_view_is_one_line_naming_the_file(project):
    (project / "views.py").write_text("def welcome(request)\n    pass\n")
    assert_one_line_error(run_duck("runserver", cwd=project), "views.py")


def test_error_raised_while_importing_the_urlconf_is_one_line_with_its_location(project):
    (project / "views.py").write_text("import duck\n\nundefined_name\n")
    assert_one_line_error(run_duck("runserver", cwd=project), "NameError")


def test_missing_urlpatterns_is_one_line(project):
    (project / "urls.py").write_text("routes = []\n")
    assert_one_line_error(run_duck("runserver", cwd=project), "urlpatterns")


# -- serving for real ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_until_serving(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            fetch(url)
            return
        time.sleep(0.1)
    pytest.fail(f"runserver did not answer within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """SIGINT (CONTROL-C) first, as a user would; kill the process group if it does not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_server(project: Path, *options: str) -> Iterator[str]:
    """Start ``duck runserver`` in ``project`` on a free port; yield its base URL; always stop it."""
    port = free_port()
    log = project.parent / f"runserver-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", *options],
            cwd=project,
            env=duck_env(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so workers and reloader children stop with it
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(process, url, log)
        yield url
    finally:
        stop(process)


def _require_server() -> None:
    import duck.server

    if not hasattr(duck.server, "run"):  # pragma: no cover - only while duck.server is being written
        pytest.skip("duck.server.run is not available yet")


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("--workers", "2"), ("--reload",)], ids=["single", "workers", "reload"])
def test_runserver_serves_the_welcome_page_of_a_new_project(project, options):
    _require_server()
    with running_server(project, *options) as url:
        status, headers, body = fetch(url)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"mysite is running" in body
    assert b'href="/static/css/style.css"' in body


@pytest.mark.slow
def test_settings_of_a_project_named_from_the_folder_above_serves_it(project):
    """tutorial.md: `duck runserver --settings mysite.settings` from the folder holding mysite/."""
    with running_server(project.parent, "--settings", "mysite.settings") as url:
        status, _, body = fetch(url)
    assert status == 200
    assert b"mysite is running" in body


@pytest.mark.slow
def test_runserver_serves_the_projects_static_files(project):
    _require_server()
    with running_server(project) as url:
        status, headers, body = fetch(url + "static/css/style.css")
    assert status == 200
    assert headers["content-type"] == "text/css; charset=utf-8"
    assert body == (project / "static" / "css" / "style.css").read_bytes()


@pytest.mark.slow
def test_port_in_use_is_one_line(project):
    _require_server()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_one_line_error(run_duck("runserver", str(port), cwd=project), "already in use")


@pytest.mark.slow
def test_reload_waits_for_a_broken_project_to_be_fixed(project):
    """With --reload a syntax error is reported by the child; the command keeps running until the fix."""
    _require_server()
    views = project / "views.py"
    good = views.read_text()
    views.write_text("def welcome(request)\n    pass\n")
    port = free_port()
    log = project.parent / f"runserver-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--reload"],
            cwd=project,
            env=duck_env(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "views.py" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, f"the reloader exited:\n{log.read_text()}"
            time.sleep(0.1)
        assert "views.py" in log.read_text()  # the child reported the broken file...
        assert process.poll() is None  # ...and the reloader is still waiting for a fix
        time.sleep(1.1)  # modification times have a one-second granularity on some filesystems
        views.write_text(good)
        wait_until_serving(process, f"http://127.0.0.1:{port}/", log)
        status, _, body = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"mysite is running" in body
    finally:
        stop(process)


def server_log(project: Path) -> str:
    return "".join(path.read_text() for path in project.parent.glob("runserver-*.log"))


@pytest.mark.slow
def test_runserver_says_when_migrations_are_pending_or_models_changed_without_one(project):
    """Issue 19: a model change without its migration was silent until a page failed."""
    with running_server(project) as url:
        assert fetch(url)[0] == 200
    assert "Warning: migrations: 1 migration not applied to database 'default'" in server_log(project)
    assert run_duck("db", "migrate", cwd=project).returncode == 0
    for path in project.parent.glob("runserver-*.log"):
        path.unlink()
    with running_server(project) as url:
        assert fetch(url)[0] == 200
    assert "Warning" not in server_log(project)
    (project / "models.py").write_text(
        "from duck.db import Model\nfrom sqlalchemy.orm import Mapped, mapped_column\n\n\n"
        'class Room(Model):\n    __tablename__ = "room"\n\n    id: Mapped[int] = mapped_column(primary_key=True)\n'
    )
    with running_server(project) as url:
        assert fetch(url)[0] == 200
    assert "Warning: models: changes without a migration (add_table room)" in server_log(project)
