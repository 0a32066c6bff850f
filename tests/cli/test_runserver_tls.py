"""``duck runserver --certfile --keyfile``: the documented command serves https:// and wss://.

A certificate that cannot be used stops the command at start with one line, with or without workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from duck.utils.flow import close_lost_transport
from tests.cli.conftest import assert_one_line_error, duck_env, run_duck
from tests.cli.test_runserver import STARTUP_TIMEOUT, free_port, stop
from tests.tls import DOC, Certificate

# The README's WebSocket example, added to the project so wss:// has an endpoint.
EXAMPLE = """
from duck.contrib.websockets import WebSocketView, OpCode

class MyWebSocket(WebSocketView):
    async def on_receive(self, data: bytes, opcode: int):
        if opcode == OpCode.TEXT:
            await self.send_text("You sent " + data.decode("utf-8") + " over " + self.request.scheme)

urlpatterns.append(path("/ws/myws", MyWebSocket, name="mywebsocket"))
"""
_MARKER = "<!-- test: tests/cli/test_runserver_tls.py runs this command (its port changed to a free one) -->"


def documented_command(port: int) -> list[str]:
    """docs/deployment.md's runserver command, on 127.0.0.1:``port``, run by this interpreter."""
    match = re.search(re.escape(_MARKER) + r"\n```sh\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"{DOC} lost the runserver --certfile command"
    args = shlex.split(match.group(1))
    assert args[:3] == ["duck", "runserver", "0.0.0.0:8443"], args
    return [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", *args[3:]]


@pytest.fixture
def tls_project(project: Path, certificate: Certificate) -> Path:
    return add_websocket_example(project, certificate)


def add_websocket_example(project: Path, certificate: Certificate) -> Path:
    """Copy the certificate into a startproject'ed ``project`` and add the example's route."""
    shutil.copy(certificate.certfile, project / "cert.pem")
    shutil.copy(certificate.keyfile, project / "key.pem")
    with open(project / "urls.py", "a", encoding="utf-8") as urls:
        urls.write(EXAMPLE)
    return project


@contextlib.contextmanager
def serving(project: Path, *extra: str) -> Iterator[tuple[str, Path]]:
    """The documented command running in ``project``; yields (banner line, log) once it is listening."""
    port = free_port()
    log = project.parent / f"runserver-tls-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*documented_command(port), *extra],
            cwd=project,
            env=duck_env(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        banner = _wait_for_banner(process, log)
        yield banner, log
    finally:
        stop(process)
    assert process.returncode in (0, -signal.SIGINT), log.read_text()


def _wait_for_banner(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited with {process.returncode}:\n{log.read_text()}")
        text = log.read_text()
        found = re.search(r"duck server running at (\S+)", text)
        if found and ("serving at" in text):
            return found.group(1)
        time.sleep(0.1)
    pytest.fail(f"runserver did not start within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def https_get(url: str, certificate: Certificate) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10, context=certificate.client_context()) as response:
        return response.status, response.read()


async def wss_round_trip(url: str, certificate: Certificate) -> str:
    origin = url.replace("wss://", "https://").split("/ws/")[0]
    async with connect(url, ssl=certificate.client_context(), origin=origin, open_timeout=10) as ws:
        await ws.send("hello")
        answer = str(await asyncio.wait_for(ws.recv(), 10))
    # On Python 3.10, asyncio does not mark a lost TLS transport closed, nor does websockets' client
    # close it when the server ended the connection: it would warn that it was never closed (ResourceWarning).
    close_lost_transport(ws.transport)
    return answer


@pytest.mark.slow
@pytest.mark.parametrize("extra", [(), ("--workers", "2")], ids=["single", "workers"])
def test_documented_command_serves_https_and_wss(tls_project: Path, certificate: Certificate, extra):
    with serving(tls_project, *extra) as (url, _):
        assert url.startswith("https://127.0.0.1:")
        base = url.replace("127.0.0.1", "localhost")  # the name the certificate is for
        status, body = https_get(base, certificate)
        assert status == 200 and b"mysite is running" in body
        ws_url = base.replace("https://", "wss://") + "ws/myws"
        assert asyncio.run(wss_round_trip(ws_url, certificate)) == "You sent hello over https"


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["single", "workers"])
@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        (("--certfile", "missing.pem", "--keyfile", "key.pem"), "missing.pem does not exist"),
        (("--certfile", "cert.pem", "--keyfile", "other-key.pem"), "does not belong to the certificate"),
        (("--certfile", "key.pem", "--keyfile", "key.pem"), "holds no PEM certificate"),
        (("--keyfile", "key.pem"), "without a certificate"),
    ],
    ids=["missing", "mismatched", "not-a-certificate", "key-only"],
)
def test_unusable_certificate_fails_at_start_with_one_line(tls_project: Path, files, fragment, workers):
    if "other-key.pem" in files:
        if shutil.which("openssl") is None:
            pytest.skip("openssl is not installed")
        command = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other-key.pem"
        subprocess.run(shlex.split(command), cwd=tls_project, check=True, capture_output=True, timeout=30)
    result = run_duck("runserver", str(free_port()), *files, *workers, cwd=tls_project)
    assert_one_line_error(result, fragment)
