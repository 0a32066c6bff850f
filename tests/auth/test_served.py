"""Login throttling and logout against ``duck runserver`` for real: concurrent bursts, two workers, every store.

Each configuration is one server for the module, on one SQLite file of users: the Redis throttle and
session stores with ``--workers 2``; the defaults (throttle counted in each process, sessions in
signed cookies) with ``--workers 2``; the database session store and the default throttle store
with one worker, as ``duck runserver`` starts by default. Every test speaks
from addresses of its own (``X-Forwarded-For``, trusted from 127.0.0.1) for accounts of its own, so
no test's counts reach another's.

A burst opens all its connections first, then writes every request in order without waiting, then
reads the answers: the requests race inside the server. 400 means the password was checked and
wrong, 302 checked and right, 429 refused before any check.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from duck.auth import create_user
from duck.test import override_settings
from tests.accounts import PROJECT_SETTINGS, make_tables
from tests.contrib.websockets.faces.servers import ROOT, ServerProcess
from tests.interop.helpers import free_port

pytestmark = [pytest.mark.interop, pytest.mark.slow]
SETTINGS = "tests.auth.project.settings_served"
WAIT = 30.0  # seconds a burst may take (Argon2 checks on a busy machine)
PER_USER_AND_IP = 5  # LOGIN_THROTTLE_PER_USER_AND_IP's default: the allowance of one account from one address
_addresses = (f"10.{i // 250 % 250}.{i % 250}.7" for i in itertools.count(1))


@dataclass
class Site:
    """A served configuration: where it listens, its stores, and how many guesses it lets through."""

    port: int
    throttle: str
    sessions: str
    workers: int

    @property
    def one_count(self) -> bool:
        """Whether the whole site counts once (Redis, or a single process); else each process has its own."""
        return self.throttle == "redis" or self.workers == 1

    @property
    def allowance(self) -> int:
        """Guesses checked for one account from one address: counted in each process in memory."""
        return PER_USER_AND_IP * (self.workers if self.throttle == "memory" else 1)


CONFIGS = {
    "redis-2-workers": ("redis", "redis", 2),
    "defaults-2-workers": ("memory", "cookie", 2),
    "database-sessions-1-worker": ("memory", "database", 1),
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('served') / 'accounts.sqlite3'}"
    make_tables(url)
    return url


@pytest.fixture(scope="module", params=list(CONFIGS))
def site(request: pytest.FixtureRequest, database: str) -> Iterator[Site]:
    throttle, sessions, workers = CONFIGS[request.param]
    env = {
        **os.environ,
        "DUCK_SETTINGS_MODULE": SETTINGS,
        "DUCK_DATABASE_URL": database,
        "ACCOUNTS_THROTTLE_STORE": throttle,
        "ACCOUNTS_SESSION_STORE": sessions,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    if "redis" in (throttle, sessions):
        env["DUCK_REDIS_URL"] = request.getfixturevalue("redis_server").url
    port = free_port()
    command = [sys.executable, "-m", "duck", "runserver", f"127.0.0.1:{port}", "--settings", SETTINGS]
    process = ServerProcess([*command, "--workers", str(workers)], env=env)
    try:
        process.wait_for(rb"(?s)" + rb"serving at.*" * workers if workers > 1 else rb"duck server running at")
        yield Site(port, throttle, sessions, workers)
    finally:
        process.stop()


@pytest.fixture
def users(database: str) -> Iterator[None]:
    """This process's settings on the served database, to create users there."""
    from duck.db.engines import dispose_engines_sync

    with override_settings(**{**PROJECT_SETTINGS, "DATABASES": {"default": {"URL": database}}}):
        yield
        dispose_engines_sync()


_names = itertools.count(1)


def new_user(email: bool = False) -> str:
    """A user of this test's own: its name (its email is NAME@example.com)."""
    name = f"user{os.getpid()}x{next(_names)}"
    create_user(name, "correct horse", email=f"{name}@Example.com" if email else None)
    return name


class Visitor:
    """A browser at one address: its session cookie and the CSRF token of its login form."""

    def __init__(self, site: Site, address: str | None = None) -> None:
        self.site = site
        self.address = address or next(_addresses)
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None, **headers: str):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=WAIT)
        try:
            body = urlencode(form or {})
            sent = {"X-Forwarded-For": self.address, **headers}
            if self.cookie:
                sent["Cookie"] = f"sessionid={self.cookie}"
            if method == "POST":
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body if method == "POST" else None, headers=sent)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        cookie = re.search(r"sessionid=([^;]*)", response.headers.get("set-cookie") or "")
        if cookie is not None:
            self.cookie = cookie.group(1)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if found is not None:
            self.token = found.group(1)
        return response.status, text

    def open_login_form(self) -> None:
        assert self.request("GET", "/login")[0] == 200 and self.token

    def log_in(self, username: str, password: str = "correct horse") -> int:
        self.open_login_form()
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.token}
        return self.request("POST", "/login", form)[0]

    def whoami(self) -> str:
        status, text = self.request("GET", "/whoami")
        assert status == 200
        return str(json.loads(text)["user"])

    def login_request(self, username: str, password: str) -> bytes:
        """The raw bytes of a login POST, for a burst."""
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": self.token}).encode()
        head = (
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{self.site.port}\r\nCookie: sessionid={self.cookie}\r\n"
            f"X-Forwarded-For: {self.address}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + body


def burst(site: Site, requests: list[bytes], *, hold: int | None = None) -> list[int]:
    """Send ``requests`` at once, in order, each on a connection of its own; their statuses.

    With ``hold``, the requests from that index on wait until one before them came back refused
    (429), the others still racing: they surely come after the allowance was used up.
    """

    async def race() -> list[int]:
        streams = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", site.port) for _ in requests))
        refused = asyncio.Event()
        readers = [asyncio.ensure_future(status(reader, writer, refused)) for reader, writer in streams]
        held = len(requests) if hold is None else hold
        for (_, writer), raw in zip(streams[:held], requests[:held], strict=True):
            writer.write(raw)  # all in order, none waiting for an answer
        if held < len(requests):
            try:
                await asyncio.wait_for(refused.wait(), WAIT)
            except TimeoutError:
                pytest.fail(f"none of {held} racing attempts was refused: the count is not taken before the check")
            for (_, writer), raw in zip(streams[held:], requests[held:], strict=True):
                writer.write(raw)
        return list(await asyncio.gather(*readers))

    async def status(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, refused: asyncio.Event) -> int:
        line = await reader.readline()
        await reader.read()
        writer.close()
        code = int(line.split()[1])
        if code == 429:
            refused.set()
        return code

    return asyncio.run(asyncio.wait_for(race(), 2 * WAIT))


def checked(statuses: list[int]) -> int:
    """How many of a burst reached the password check (at least one allowance: the burst did race)."""
    assert set(statuses) <= {302, 400, 429}, statuses
    reached = sum(status != 429 for status in statuses)
    assert reached >= PER_USER_AND_IP, statuses
    return reached


@pytest.mark.parametrize("size", [40, 100])
def test_a_burst_of_guesses_gets_no_more_than_the_allowance_checked(site, users, size):
    name = new_user()
    attacker = Visitor(site)
    attacker.open_login_form()
    statuses = burst(site, [attacker.login_request(name, f"guess {i}") for i in range(size)])
    assert checked(statuses) <= site.allowance, statuses
    if site.one_count:
        assert attacker.log_in(name) == 429  # the right password, after the burst: refused too


@pytest.mark.parametrize("position", [7, 20, 40])
def test_the_right_password_late_in_a_burst_is_refused(site, users, position):
    """Whatever its position after the allowance, the right password is refused while the burst races."""
    if not site.one_count:
        pytest.skip("each process has an allowance of its own: which one a request reaches is the kernel's choice")
    name = new_user()
    attacker = Visitor(site)
    attacker.open_login_form()
    passwords = [f"guess {i}" for i in range(40)]
    passwords[position - 1] = "correct horse"
    statuses = burst(site, [attacker.login_request(name, password) for password in passwords], hold=position - 1)
    assert statuses[position - 1] == 429, statuses
    assert checked(statuses) <= site.allowance, statuses
    assert attacker.whoami() == ""


def test_the_username_and_the_email_of_one_account_share_its_allowance(site, users):
    name = new_user(email=True)
    attacker = Visitor(site)
    attacker.open_login_form()
    aliases = [name, f"{name}@example.com", f"{name.upper()}@EXAMPLE.COM"]
    statuses = burst(site, [attacker.login_request(aliases[i % 3], f"guess {i}") for i in range(60)])
    assert checked(statuses) <= site.allowance, statuses


def test_unknown_usernames_are_counted_as_accounts_are(site, users):
    attacker = Visitor(site)
    attacker.open_login_form()
    statuses = burst(site, [attacker.login_request("nobody-at-all", f"guess {i}") for i in range(40)])
    assert checked(statuses) <= site.allowance, statuses


def test_guessing_from_one_address_does_not_lock_the_user_out_elsewhere(site, users):
    name = new_user()
    attacker = Visitor(site)
    attacker.open_login_form()
    burst(site, [attacker.login_request(name, f"guess {i}") for i in range(40)])
    if site.one_count:
        assert attacker.log_in(name) == 429
    user = Visitor(site)
    assert user.log_in(name) == 302
    assert user.whoami() == name


async def first_message(site: Site, cookie: str) -> str:
    origin = f"http://127.0.0.1:{site.port}"
    headers = {"Cookie": f"sessionid={cookie}", "Origin": origin}
    async with connect(f"ws://127.0.0.1:{site.port}/ws/who", additional_headers=headers, open_timeout=WAIT) as ws:
        return str(await asyncio.wait_for(ws.recv(), WAIT))


def test_a_cookie_copied_before_logout_is_anonymous_after_it_over_http_and_websocket(site, users):
    name = new_user()
    user = Visitor(site)
    assert user.log_in(name) == 302
    user.request("GET", "/counter")
    thief = Visitor(site)
    thief.cookie = user.cookie
    assert thief.whoami() == name
    assert asyncio.run(first_message(site, thief.cookie)) == f"hello {name} count=1"
    assert thief.request("GET", "/note")[0] == 200  # the thief's page holds a CSRF token of that session
    copied = thief.cookie

    user.request("GET", "/logout")
    assert user.request("POST", "/logout", {"csrfmiddlewaretoken": user.token})[0] == 200
    assert user.whoami() == ""

    assert thief.whoami() == ""
    thief.cookie = copied
    status, text = thief.request("POST", "/private", {"csrfmiddlewaretoken": thief.token})
    assert status in (302, 403) and "private for" not in text  # not run as the user
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(first_message(site, copied))
    assert refused.value.response.status_code == 401
