"""The session and the user on real WebSocket handshakes: duck's server and uvicorn (ASGI), all three faces."""

from __future__ import annotations

import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from duck.auth import create_token, create_user
from duck.auth.users import HASH_SESSION_KEY, SESSION_KEY
from duck.sessions import Record
from duck.sessions.stores import CookieStore
from tests.contrib.websockets.faces.servers import duck_in_process, start_uvicorn

pytestmark = pytest.mark.interop
SETTINGS = "tests.auth.project.settings"


@pytest.fixture(params=["duck", "uvicorn"])
async def server(request, accounts, monkeypatch):
    """The accounts project served for real, on the accounts fixture's database."""
    if request.param == "uvicorn":
        monkeypatch.setenv("DUCK_DATABASE_URL", accounts)
        process, base = start_uvicorn("tests.auth.project.asgi:application", SETTINGS)
        try:
            yield base
        finally:
            process.stop()
        return
    async with duck_in_process(SETTINGS, DATABASES={"default": {"URL": accounts}}) as base:
        yield base


def session_cookie() -> str:
    """The cookie a browser gets from logging in as ann and visiting /counter once (signed-cookie store)."""
    user = create_user("ann", "correct horse")
    now = time.time()
    record = Record({SESSION_KEY: str(user.id), HASH_SESSION_KEY: user.session_auth_hash(), "count": 1}, now, now)
    return f"sessionid={CookieStore().save(None, record, now)}"


async def first_message(url: str, **headers: str) -> str:
    async with connect(url, additional_headers=headers, open_timeout=5) as ws:
        return str(await ws.recv())


async def test_the_logged_in_user_and_the_session_reach_every_face(server):
    cookie = session_cookie()
    origin = "http://" + server.removeprefix("ws://")
    assert await first_message(f"{server}/ws/who", Cookie=cookie, Origin=origin) == "hello ann count=1"
    assert await first_message(f"{server}/ws/dweb", Cookie=cookie, Origin=origin) == "dweb ann"
    assert await first_message(f"{server}/ws/routed", Cookie=cookie, Origin=origin) == "routed ann 1"


@pytest.mark.parametrize("path", ["/ws/who", "/ws/dweb", "/ws/routed"])
async def test_anonymous_handshakes_are_refused_before_accepting(server, path):
    with pytest.raises(InvalidStatus) as refused:
        await first_message(f"{server}{path}")
    assert refused.value.response.status_code == 401


async def test_a_token_opens_a_socket_without_cookies(server):
    token = create_token(create_user("bot", "correct horse"))
    assert await first_message(f"{server}/ws/open", Authorization=f"Bearer {token}") == "user=bot auth=token count=None"
