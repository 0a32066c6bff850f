"""One project, four doors: the test client, duck's own server, WSGI under gunicorn, ASGI under uvicorn.

Each route of the sample project is requested through (a) duck's in-process test client, (b) a
real ``duck runserver`` process, (c) a real gunicorn process serving ``duck.wsgi`` and (d) a real
uvicorn process serving ``duck.asgi``, the last three over real sockets on 127.0.0.1. Status, key
headers and body must be the same.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from duck.test import Client, encode_multipart

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.apps.sample.settings"
STARTUP_TIMEOUT = 20.0  # seconds a server gets to accept connections
REQUEST_TIMEOUT = 10.0  # seconds per request, connect and read
STOP_TIMEOUT = 10.0  # seconds a server gets to exit after SIGTERM before it is killed
# Headers the front doors must agree on (servers add their own Date, Server, Connection...).
KEY_HEADERS = ("content-type", "content-length", "allow", "location", "set-cookie")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> tuple[int, dict[str, str], bytes]:
        return self.status, {k: v for k, v in self.headers.items() if k in KEY_HEADERS}, self.body


# -- real servers ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server subprocess whose output goes to a log file, shown when it fails to start."""

    def __init__(self, name: str, args: list[str], port: int, log_path: Path) -> None:
        self.name, self.port, self.log_path = name, port, log_path
        env = {**os.environ, "DUCK_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT)}
        self._log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)  # nothing to await on another process's port: poll, bounded by the deadline
        pytest.fail(f"{self.name} did not accept connections within {STARTUP_TIMEOUT}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        finally:
            self._log.close()


def start_servers(tmp_path: Path) -> Iterator[dict[str, ServerProcess]]:
    python = sys.executable
    duck_port, gunicorn_port, uvicorn_port = free_port(), free_port(), free_port()
    duck_args = [python, "-m", "duck", "runserver", f"127.0.0.1:{duck_port}", "--settings", SETTINGS]
    gunicorn_args = [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{gunicorn_port}", "--workers", "1"]
    # No control socket: its default path is shared by every gunicorn of the user, and tests run side by side.
    gunicorn_args += ["--graceful-timeout", "5", "--no-control-socket", "tests.apps.sample.wsgi:application"]
    uvicorn_args = [python, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(uvicorn_port), "--lifespan", "on"]
    uvicorn_args += ["tests.apps.sample.asgi:application"]
    servers: dict[str, ServerProcess] = {}
    try:
        servers["duck"] = ServerProcess("duck runserver", duck_args, duck_port, tmp_path / "duck.log")
        servers["gunicorn"] = ServerProcess("gunicorn", gunicorn_args, gunicorn_port, tmp_path / "gunicorn.log")
        servers["uvicorn"] = ServerProcess("uvicorn", uvicorn_args, uvicorn_port, tmp_path / "uvicorn.log")
        for server in servers.values():
            server.wait_ready()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    yield from start_servers(tmp_path_factory.mktemp("servers"))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client() as client:
        yield client


# -- the three doors --------------------------------------------------------------------------
def over_socket(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, _header_dict(response.getheaders()), data)
    finally:
        connection.close()


def in_process(client: Client, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
    client.cookies.clear()  # each door starts from the same state: cookies only as the case sends them
    response = client.request(method, path, body, headers=headers)
    return Reply(response.status_code, _header_dict(response.headers.items()), response.content)


def _header_dict(pairs: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def through_every_door(servers: dict[str, ServerProcess], client: Client, *request: Any) -> dict[str, Reply]:
    replies = {"client": in_process(client, *request)}
    for name, server in servers.items():
        replies[name] = over_socket(server.port, *request)
    return replies


# -- the cases -------------------------------------------------------------------------------------
UPLOAD_BODY, UPLOAD_TYPE = encode_multipart({"title": "A duck"}, {"file": ("duck.txt", b"quack" * 100)})
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int
    check: Callable[[Reply], bool]
    body: bytes | None = None
    headers: dict[str, str] | None = None

    @property
    def request(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        return self.method, self.path, self.body, dict(self.headers or {})


CASES = {
    "sync text view": Case("GET", "/hello", 200, lambda r: r.body == b"Hello, duck!"),
    "utf-8 path": Case("GET", "/greet/caf%C3%A9", 200, lambda r: r.body == "Hello, café!".encode()),
    "async view, int param": Case("GET", "/items/3", 200, lambda r: r.body == b'{"id":3,"type":"int"}'),
    "class-based get": Case("GET", "/things", 200, lambda r: r.body == b"all the things"),
    "class-based post": Case(
        "POST", "/things", 201, lambda r: r.body == b'{"created":{"name":"Donald"}}', b"name=Donald", FORM
    ),
    "mixed class, sync get in the pool": Case("GET", "/mixed", 200, lambda r: r.body == b"sync get in the thread pool"),
    "mixed class, async post on the loop": Case(
        "POST",
        "/mixed",
        201,
        lambda r: r.body == b'{"async post":"on the event loop","name":"Daisy"}',
        b"name=Daisy",
        FORM,
    ),
    "mixed class, HEAD": Case("HEAD", "/mixed", 200, lambda r: r.body == b"" and r.headers["content-length"] == "27"),
    "mixed class, OPTIONS": Case("OPTIONS", "/mixed", 200, lambda r: r.headers["allow"] == "GET, POST, OPTIONS, HEAD"),
    "mixed class, 405": Case("PUT", "/mixed", 405, lambda r: r.headers["allow"] == "GET, HEAD, OPTIONS, POST"),
    "json echo": Case(
        "POST", "/echo-json", 200, lambda r: r.body == '{"received":{"a":"é"}}'.encode(), b'{"a":"\\u00e9"}', JSON
    ),
    "malformed json": Case("POST", "/echo-json", 400, lambda r: b"Malformed JSON" in r.body, b"{oops", JSON),
    "multipart upload": Case(
        "POST",
        "/upload",
        200,
        lambda r: b'"name":"duck.txt","size":500,"content_type":"text/plain","title":"A duck"' in r.body,
        UPLOAD_BODY,
        {"content-type": UPLOAD_TYPE},
    ),
    "Http404": Case("GET", "/missing", 404, lambda r: b"No such duck." in r.body),
    "no route": Case("GET", "/nowhere", 404, lambda r: b"404 Not Found" in r.body),
    "405 with Allow": Case("POST", "/only-get", 405, lambda r: r.headers["allow"] == "GET, HEAD"),
    "HEAD": Case("HEAD", "/only-get", 200, lambda r: r.body == b"" and r.headers["content-length"] == "8"),
    "500 hides internals": Case("GET", "/boom", 500, lambda r: b"secret" not in r.body and b"Traceback" not in r.body),
    "sync stream": Case("GET", "/stream", 200, lambda r: r.body == b"chunk 0\nchunk 1\nchunk 2\n"),
    "async stream": Case("GET", "/ticks?limit=3", 200, lambda r: r.body == b"tick 0\ntick 1\ntick 2\n"),
    "set cookie": Case("GET", "/cookies/set", 200, lambda r: r.headers["set-cookie"].startswith("flavour=mallard;")),
    "send cookies": Case(
        "GET", "/cookies", 200, lambda r: r.body == b'{"a":"1","b":"two"}', None, {"cookie": "a=1; b=two"}
    ),
    "delete cookie": Case("GET", "/cookies/clear", 200, lambda r: "Max-Age=0" in r.headers["set-cookie"]),
    "redirect": Case("GET", "/old", 302, lambda r: r.headers["location"] == "/hello"),
    "307 redirect": Case("POST", "/go/307", 307, lambda r: r.headers["location"] == "/echo?via=go", b"x", FORM),
    "query string": Case("GET", "/echo?q=%C3%A9&n=1", 200, lambda r: b'"query":{"q":"\xc3\xa9","n":"1"}' in r.body),
    "raw body": Case(
        "PUT", "/echo", 200, lambda r: b'"method":"PUT"' in r.body and b'"body":"data"' in r.body, b"data"
    ),
    "websocket route, plain GET": Case("GET", "/ws/plain", 426, lambda r: b"WebSocket only" in r.body),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_door_gives_the_same_reply(servers, client, case: Case):
    replies = through_every_door(servers, client, *case.request)
    for door, reply in replies.items():
        assert reply.status == case.status, f"{door}: {reply}"
        assert case.check(reply), f"{door}: {reply}"
    for door in servers:
        assert replies[door].key == replies["client"].key, door


def test_body_above_the_limit_is_413_everywhere(servers, client):
    too_big = 1_000_001  # SERVER_MAX_BODY_SIZE of the sample settings, plus one
    replies = {"client": in_process(client, "POST", "/echo", b"x" * too_big, {})}
    for name, server in servers.items():
        # Only the head is sent: a server that answers without reading may reset a connection
        # whose unread body is still arriving, which would hide the reply this test is about.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.putrequest("POST", "/echo")
            connection.putheader("Content-Length", str(too_big))
            connection.endheaders()
            response = connection.getresponse()
            replies[name] = Reply(response.status, _header_dict(response.getheaders()), response.read())
        finally:
            connection.close()
    for door, reply in replies.items():
        assert reply.status == 413, f"{door}: {reply}"
    for door in ("gunicorn", "uvicorn"):  # both hand the request to duck, which answers
        assert replies[door].key == replies["client"].key, door
    # duck's server refuses from the head alone, before a request object exists: its own short text.
    assert b"The request body is larger than 1000000 bytes." in replies["duck"].body


def test_websocket_route_through_gunicorn_explains_why_it_cannot(servers):
    upgrade = {"upgrade": "websocket", "connection": "Upgrade"}
    reply = over_socket(servers["gunicorn"].port, "GET", "/ws/plain", None, upgrade)
    assert reply.status == 501
    assert b"WSGI cannot carry them" in reply.body


def test_websocket_route_through_uvicorn_runs_its_asgi_session(servers):
    from websockets.exceptions import ConnectionClosedOK
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{servers['uvicorn'].port}/ws/hello"
    with connect(url, open_timeout=REQUEST_TIMEOUT, close_timeout=REQUEST_TIMEOUT) as websocket:
        assert websocket.recv(timeout=REQUEST_TIMEOUT) == "hello /ws/hello"
        with pytest.raises(ConnectionClosedOK):  # then the session closes normally
            websocket.recv(timeout=REQUEST_TIMEOUT)
    assert websocket.close_code == 1000


@pytest.mark.parametrize(("path", "status"), [("/hello", 403), ("/missing", 404)])
def test_websocket_to_a_non_websocket_route_is_refused_by_uvicorn(servers, path, status):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{servers['uvicorn'].port}{path}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=REQUEST_TIMEOUT)
    assert refused.value.response.status_code == status
