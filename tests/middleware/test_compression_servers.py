"""CompressionMiddleware behind each front door for real: duck's server, uvicorn (ASGI), gunicorn (WSGI).

The streaming case is the one that matters: the view's second chunk is produced only after the client
has received and decoded the first (it then asks ``/open/<token>``). A middleware that buffered the
stream, or compressed it without flushing each chunk, would leave the client waiting forever.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import h11
import pytest

from tests.interop.test_same_app import ROOT, ServerProcess, free_port
from tests.middleware.compression_project import urls as project
from tests.middleware.test_compression import BROWSER, PartialDecoder, decode

pytestmark = pytest.mark.interop

SETTINGS = "tests.middleware.compression_project.settings"
TIMEOUT = 10.0


def commands(port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "duck": [python, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--settings", SETTINGS],
        "uvicorn": [
            python, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "tests.middleware.compression_project.asgi:application",
        ],
        # gthread: the gated stream blocks one thread while another answers /open.
        "gunicorn": [
            python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
            "--threads", "4", "--graceful-timeout", "5", "--no-control-socket",
            "tests.middleware.compression_project.wsgi:application",
        ],
    }  # fmt: skip


class ProjectServer(ServerProcess):
    """A server subprocess serving the compression project (ServerProcess serves the sample one)."""

    def __init__(self, name: str, port: int, log_path: Path) -> None:
        self.name, self.port, self.log_path = name, port, log_path
        env = {**os.environ, "DUCK_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT)}
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            commands(port)[name], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )


@pytest.fixture(scope="module", params=["duck", "uvicorn", "gunicorn"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    name = request.param
    process = ProjectServer(name, free_port(), Path(tmp_path_factory.mktemp(name)) / f"{name}.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


class Connection:
    """One HTTP/1.1 client connection read with h11, event by event, every read bounded."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.h11 = h11.Connection(h11.CLIENT)

    def request(self, path: str, accept: str | None) -> h11.Response:
        headers = [("Host", "127.0.0.1")] + ([("Accept-Encoding", accept)] if accept is not None else [])
        self.sock.sendall(self.h11.send(h11.Request(method="GET", target=path, headers=headers)))
        self.sock.sendall(self.h11.send(h11.EndOfMessage()))
        event = self.next_event()
        assert isinstance(event, h11.Response), event
        return event

    def next_event(self) -> h11.Event:
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(self.sock.recv(65536))  # raises TimeoutError past TIMEOUT
                continue
            return event  # type: ignore[return-value]

    def body(self) -> bytes:
        data = b""
        while not isinstance(event := self.next_event(), h11.EndOfMessage):
            assert isinstance(event, h11.Data), event
            data += event.data
        return data

    def close(self) -> None:
        self.sock.close()


def get(port: int, path: str, accept: str | None = BROWSER) -> tuple[dict[bytes, bytes], bytes]:
    connection = Connection(port)
    try:
        response = connection.request(path, accept)
        return dict(response.headers), connection.body()
    finally:
        connection.close()


@pytest.mark.parametrize(("accept", "coding"), [(BROWSER, "zstd"), ("br", "br"), ("gzip", "gzip"), (None, None)])
def test_page_through_the_front_door(server: ServerProcess, accept: str | None, coding: str | None):
    headers, body = get(server.port, "/page", accept)
    assert headers.get(b"content-encoding") == (coding.encode() if coding else None)
    assert headers[b"vary"] == b"Accept-Encoding"
    assert decode(body, coding) == project.PAGE.encode()
    if b"content-length" in headers:
        assert int(headers[b"content-length"]) == len(body)


def test_skipped_response_through_the_front_door(server: ServerProcess):
    headers, body = get(server.port, "/png")
    assert b"content-encoding" not in headers and b"vary" not in headers and len(body) == 4004


@pytest.mark.parametrize("coding", ["zstd", "br", "gzip"])
def test_stream_is_compressed_incrementally(server: ServerProcess, coding: str):
    token = uuid.uuid4().hex
    connection = Connection(server.port)
    try:
        response = connection.request(f"/gated/{token}", coding)
        assert dict(response.headers)[b"content-encoding"] == coding.encode()
        decoder = PartialDecoder(coding)
        received = b""
        while len(received) < len(project.FIRST):  # the first chunk, decodable before the second exists
            event = connection.next_event()
            assert isinstance(event, h11.Data), f"the stream ended early: {received!r}"
            received += decoder(bytes(event.data))
        assert received == project.FIRST.encode()
        get(server.port, f"/open/{token}")  # only now does the view produce the second chunk
        rest = decoder(connection.body())
        assert rest == project.SECOND.encode()
    finally:
        connection.close()
