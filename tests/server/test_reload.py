"""``--reload``: file changes are detected by polling and restart the serving child."""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from duck.exceptions import ServerError
from duck.server import reload as reload_module
from duck.server.reload import FileWatcher, child_arguments
from tests.server.helpers import ServerProcess, http_get

ROOT = str(Path(__file__).resolve().parents[2])


def touch(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    stamp = time.time() + bump  # a distinct mtime even on coarse-grained file systems
    os.utime(path, (stamp, stamp))


def test_watcher_reports_added_modified_and_removed_py_and_html_files(tmp_path: Path):
    (tmp_path / "app.py").write_text("x = 1")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>")
    (tmp_path / "notes.txt").write_text("ignored")
    watcher = FileWatcher(tmp_path)
    assert watcher.changed() == []
    touch(tmp_path / "app.py", "x = 2", 10)
    touch(tmp_path / "templates" / "page.html", "<div>", 10)
    touch(tmp_path / "notes.txt", "still ignored", 10)
    assert watcher.changed() == [str(tmp_path / "app.py"), str(tmp_path / "templates" / "page.html")]
    (tmp_path / "new.py").write_text("")
    (tmp_path / "app.py").unlink()
    assert watcher.changed() == [str(tmp_path / "app.py"), str(tmp_path / "new.py")]
    assert watcher.changed() == []


def test_watcher_skips_caches_and_hidden_folders(tmp_path: Path):
    for folder in ("__pycache__", ".git", "node_modules"):
        (tmp_path / folder).mkdir()
    watcher = FileWatcher(tmp_path)
    for folder in ("__pycache__", ".git", "node_modules"):
        (tmp_path / folder / "m.py").write_text("")
    assert watcher.changed() == []


def test_child_arguments_rerun_a_module_or_a_script(monkeypatch: pytest.MonkeyPatch):
    import __main__

    class Spec:
        name = "duck.__main__"
        parent = "duck"

    monkeypatch.setattr(sys, "argv", ["/x/duck/__main__.py", "runserver", "--reload"])
    monkeypatch.setattr(__main__, "__spec__", Spec(), raising=False)
    assert child_arguments()[-4:] == ["-m", "duck", "runserver", "--reload"]
    monkeypatch.setattr(__main__, "__spec__", None, raising=False)
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    assert child_arguments()[-2:] == ["manage.py", "runserver"]
    monkeypatch.setattr(sys, "argv", ["-c"])
    with pytest.raises(ServerError):
        child_arguments()


def test_reloader_child_detection(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(reload_module.RUN_MAIN_ENV, raising=False)
    assert not reload_module.is_reloader_child()
    monkeypatch.setenv(reload_module.RUN_MAIN_ENV, "true")
    assert reload_module.is_reloader_child()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_editing_a_module_restarts_the_server(tmp_path: Path):
    port = free_port()
    (tmp_path / "app_mod.py").write_text('MESSAGE = "one"\n')
    (tmp_path / "serve.py").write_text(
        f"""
import sys
sys.path.insert(0, {ROOT!r})
sys.path.insert(0, {str(tmp_path)!r})
from duck.conf import settings
settings.configure(SECRET_KEY="reload-test", ALLOWED_HOSTS=["*"], SERVER_ACCESS_LOG=False, SERVER_SHUTDOWN_TIMEOUT=1)
from duck.http.response import PlainTextResponse
from duck.server import run
import app_mod

class Message:
    async def handle(self, request):
        return PlainTextResponse(app_mod.MESSAGE)

run("127.0.0.1", {port}, reload=True, handler=Message())
"""
    )
    server = ServerProcess([sys.executable, str(tmp_path / "serve.py")], cwd=str(tmp_path))
    try:
        first = server.wait_for(lambda line: "serving at" in line)
        first_pid = int(re.search(r"Process (\d+)", first).group(1))  # type: ignore[union-attr]
        assert http_get(port) == (200, b"one")
        touch(tmp_path / "app_mod.py", 'MESSAGE = "two"\n', 10)
        server.wait_for(lambda line: "app_mod.py changed, restarting" in line)
        second = server.wait_for(lambda line: "serving at" in line)
        assert f"Process {first_pid} " not in second
        assert http_get(port) == (200, b"two")
    finally:
        code = server.stop()
    assert code == 0
