"""The data layer end to end, as a user meets it, on SQLite and on PostgreSQL.

``duck startproject`` → uncomment the example model → ``duck db makemigrations`` → ``duck db migrate``
→ a view writes and reads it over HTTP and a WebSocketView over WebSockets, under ``duck runserver``
(two workers), gunicorn (WSGI workers for HTTP; uvicorn's worker class for WebSockets) and uvicorn.
PostgreSQL is the same project with one setting changed: ``DUCK_DATABASE_URL``. The project's
ON_STARTUP / ON_SHUTDOWN hooks leave a file per process, proving they ran in every worker.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import duck_env
from tests.cli.test_new_project import uncomment_examples
from tests.interop.helpers import free_port, wait_for_port

pytestmark = [pytest.mark.interop, pytest.mark.slow]

VIEWS = """

import json

from sqlalchemy import select

from duck.contrib.websockets import WebSocketView
from duck.db import get_async_session
from duck.http.response import JsonResponse
from duck.middleware.csrf import csrf_exempt
from models import Message


@csrf_exempt  # posted by a script (urllib), not by a browser's form: no CSRF token to send
def messages(request):
    if request.method == "POST":
        request.db.add(Message(text=request.POST["text"]))
        request.db.commit()
    texts = request.db.scalars(select(Message.text).order_by(Message.id)).all()
    return JsonResponse({"messages": texts})


class MessageSocket(WebSocketView):
    async def on_open(self):
        async with get_async_session() as session:
            texts = (await session.scalars(select(Message.text).order_by(Message.id))).all()
        await self.send_text(json.dumps(texts))

    async def on_receive(self, data, opcode):
        async with get_async_session() as session:
            session.add(Message(text=data.decode()))
            await session.commit()
        await self.send_text("saved")
"""

HOOKS = """
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def started():
    (HERE / "hooks" / f"started-{os.getpid()}").touch()


async def stopped():
    (HERE / "hooks" / f"stopped-{os.getpid()}").touch()
"""


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp(f"site-{request.param}")
    env = duck_env(PYTHONUNBUFFERED="1")
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        env["DUCK_DATABASE_URL"] = server.url(server.create_database())  # the one setting that changes
    run([sys.executable, "-m", "duck", "startproject", "mysite"], root, env)
    project = root / "mysite"
    models = (project / "models.py").read_text()
    (project / "models.py").write_text(uncomment_examples(models)[0])
    (project / "views.py").write_text((project / "views.py").read_text() + VIEWS)
    urls = (
        (project / "urls.py")
        .read_text()
        .replace(
            'path("/", views.welcome, name="welcome"),',
            'path("/", views.welcome, name="welcome"),\n    path("/messages", views.messages),\n'
            '    path("/ws/messages", views.MessageSocket),',
        )
    )
    (project / "urls.py").write_text(urls)
    (project / "hooks.py").write_text(HOOKS)
    (project / "hooks").mkdir()
    settings = (project / "settings.py").read_text()
    (project / "settings.py").write_text(
        settings + '\nON_STARTUP = ["hooks.started"]\nON_SHUTDOWN = ["hooks.stopped"]\nALLOWED_HOSTS = ["127.0.0.1"]\n'
    )
    run([sys.executable, "-m", "duck", "db", "migrate"], project, env)  # the first migration: users
    made = run([sys.executable, "-m", "duck", "db", "makemigrations", "-m", "add message"], project, env)
    assert "Created" in made.stdout
    run([sys.executable, "-m", "duck", "db", "migrate"], project, env)
    checked = run([sys.executable, "-m", "duck", "check"], project, env)
    assert checked.stdout.strip() == "No problems found."
    if request.param == "sqlite":
        assert (project / "db.sqlite3").exists()
    else:
        assert not (project / "db.sqlite3").exists()
    yield project, env


SERVERS = {
    "runserver": lambda port: [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--workers", "2"],
    "gunicorn": lambda port: [
        sys.executable,
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "2",
        "wsgi:application",
    ],
    "gunicorn-uvicorn": lambda port: [
        *[sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2"],
        *["-k", "uvicorn.workers.UvicornWorker", "asgi:application"],
    ],
    "uvicorn": lambda port: [sys.executable, "-m", "uvicorn", "--port", str(port), "asgi:application"],
}


def serve(project: Path, env: dict[str, str], name: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log_path = project / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(SERVERS[name](port), cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    wait_for_port(port, process)
    return process, port, log_path


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def http(port: int, text: str | None = None) -> list[str]:
    data = urllib.parse.urlencode({"text": text}).encode() if text is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}/messages", data=data)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())["messages"]


def websocket(port: int, text: str) -> tuple[list[str], str]:
    from websockets.asyncio.client import connect

    async def talk() -> tuple[list[str], str]:
        async with connect(f"ws://127.0.0.1:{port}/ws/messages", open_timeout=10, close_timeout=5) as ws:
            history = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(text)
            return history, await asyncio.wait_for(ws.recv(), 10)

    return asyncio.run(talk())


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def hook_files(project: Path, prefix: str) -> set[str]:
    return {path.name.split("-", 1)[1] for path in (project / "hooks").glob(f"{prefix}-*")}


@pytest.mark.parametrize("server", list(SERVERS))
def test_views_read_and_write_the_model(site, server):
    project, env = site
    for path in (project / "hooks").iterdir():
        path.unlink()
    process, port, log = serve(project, env, server)
    expected_workers = 1 if server == "uvicorn" else 2
    try:
        if server != "gunicorn":  # every worker runs ON_STARTUP at boot; the port opens before the last is ready
            wait_until(lambda: len(hook_files(project, "started")) == expected_workers, 30)
        before = http(port)
        assert http(port, f"http {server}") == [*before, f"http {server}"]
        if server != "gunicorn":  # WSGI cannot carry WebSockets
            history, reply = websocket(port, f"ws {server}")
            assert history == [*before, f"http {server}"]
            assert reply == "saved"
            assert http(port)[-1] == f"ws {server}"
        for _ in range(4):  # with two workers, reach both so that both ran ON_STARTUP (WSGI: lazily)
            http(port)
    finally:
        stop(process)
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output
    started, stopped = hook_files(project, "started"), hook_files(project, "stopped")
    assert len(stopped) >= 1 and stopped <= started, output
    if server != "gunicorn":  # WSGI runs ON_STARTUP lazily, in the workers that got a request
        assert len(started) == expected_workers, output
    assert started == stopped, output
