"""Sessions with each store (signed cookie, the database on SQLite and PostgreSQL, a real Redis), and bad cookies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from duck.test import Client, override_settings
from tests.accounts import make_tables

STORES = ["cookie", "database-sqlite", "database-postgresql", "redis"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, accounts: str) -> Iterator[str]:
    """The accounts project with SESSION_STORE set to each store in turn."""
    from duck.db.engines import dispose_engines_sync

    name = request.param
    if name == "cookie":
        with override_settings(SESSION_STORE="cookie"):
            yield name
    elif name.startswith("database"):
        url = accounts if name.endswith("sqlite") else request.getfixturevalue("postgres_url")
        make_tables(url)
        with override_settings(SESSION_STORE="database", DATABASES={"default": {"URL": url}}):
            yield name
            dispose_engines_sync()
    else:
        server = request.getfixturevalue("redis_server")
        with override_settings(SESSION_STORE="redis", REDIS_URL=server.url, SESSION_REDIS_PREFIX="test:session:"):
            yield name


def session_cookie(client: Client) -> str | None:
    return client.cookies.get("sessionid")


def test_the_session_keeps_its_data_between_requests(store):
    with Client() as client:
        assert [client.get("/counter").text for _ in range(3)] == ["1", "2", "3"]
    with Client() as stranger:
        assert stranger.get("/counter").text == "1"


def test_it_is_saved_only_when_modified(store):
    with Client() as client:
        first = client.get("/counter")
        assert "sessionid=" in first["set-cookie"]
        read_only = client.get("/whoami")  # reads no session data: nothing written, no cookie sent
        assert "set-cookie" not in read_only.response.headers


def test_cookie_flags_are_safe_by_default(store):
    with Client() as client:
        cookie = client.get("/counter")["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie and f"Max-Age={14 * 24 * 3600}" in cookie
    with Client(scheme="https") as client:
        assert "Secure" in client.get("/counter")["set-cookie"]
    with override_settings(SESSION_COOKIE_SECURE=True, SESSION_EXPIRE_AT_BROWSER_CLOSE=True), Client() as client:
        cookie = client.get("/counter")["set-cookie"]
        assert "Secure" in cookie and "Max-Age" not in cookie


def test_a_flushed_session_deletes_its_cookie_and_its_data(store):
    with Client() as client:
        client.get("/counter")
        old = session_cookie(client)
        response = client.get("/forget")
        assert "Max-Age=0" in response["set-cookie"]
        assert session_cookie(client) is None
        with Client() as replay:  # the old cookie, replayed: a server-side store forgot it
            replay.cookies["sessionid"] = old
            expected = "2" if store == "cookie" else "1"  # a signed cookie stays valid until it expires
            assert replay.get("/counter").text == expected


@pytest.mark.parametrize(
    "forged",
    ["garbage", "a" * 40, "x:y:z", ".eJzz:abc:def", "eyJkIjp7ImNvdW50Ijo5OX19:1:forged", "%00%01"],
)
def test_tampered_cookies_are_treated_as_absent_never_a_500(store, forged):
    with Client() as client:
        client.cookies["sessionid"] = forged
        response = client.get("/counter")
        assert response.status_code == 200 and response.text == "1"


def test_a_cookie_edited_by_the_client_is_refused(store):
    with Client() as client:
        client.get("/counter")
        value = session_cookie(client)
        client.cookies["sessionid"] = value[:-3] + ("abc" if not value.endswith("abc") else "xyz")
        assert client.get("/counter").text == "1"


def test_sessions_expire_after_their_age_and_their_idle_timeout(store, monkeypatch):
    now = time.time()
    with Client() as client:
        client.get("/counter")
        monkeypatch.setattr(time, "time", lambda: now + 3600)
        assert client.get("/counter").text == "2"
        with override_settings(SESSION_IDLE_TIMEOUT=1800):
            monkeypatch.setattr(time, "time", lambda: now + 3600 + 1801)
            assert client.get("/counter").text == "1"  # idle too long: a new session
        monkeypatch.setattr(time, "time", lambda: now + 15 * 24 * 3600)
        assert client.get("/counter").text == "1"  # older than SESSION_COOKIE_AGE


def test_the_idle_timeout_is_refreshed_by_activity(store, monkeypatch):
    now = time.time()
    with override_settings(SESSION_IDLE_TIMEOUT=1000), Client() as client:
        client.get("/counter")
        for step in range(1, 6):  # 5 x 600 s: longer than the timeout in all, never idle for it
            monkeypatch.setattr(time, "time", lambda step=step: now + 600 * step)
            assert client.get("/whoami").status_code == 200  # reads only: the session is touched
        assert client.get("/counter").text == "2"


def test_the_session_reaches_websocket_handlers(store):
    with Client() as client:
        client.get("/counter")
        with client.websocket_connect("/ws/open") as ws:
            assert ws.receive_text() == "user=- auth=None count=1"


def test_a_cookie_copied_before_logout_is_anonymous_after_it_over_http_and_websocket(store):
    from duck.auth import create_user
    from duck.test import WebSocketRejected
    from tests.auth.test_login import log_in

    create_user("ann", "correct horse")
    with Client() as ann, Client() as thief:
        log_in(ann, "ann", "correct horse")
        ann.get("/counter")
        copied = thief.cookies["sessionid"] = session_cookie(ann)
        assert thief.get("/whoami").json()["user"] == "ann"
        with thief.websocket_connect("/ws/who") as ws:
            assert ws.receive_text() == "hello ann count=1"

        assert ann.post("/logout").status_code == 200
        assert thief.get("/whoami").json()["user"] == ""
        thief.cookies["sessionid"] = copied
        assert thief.post("/private")["location"] == "/login?next=/private"  # a POST runs as nobody
        thief.cookies["sessionid"] = copied
        with pytest.raises(WebSocketRejected) as refused, thief.websocket_connect("/ws/who"):
            pass
        assert refused.value.status_code == 401


def test_logging_out_everywhere_ends_every_session_of_the_user(store):
    from duck.auth import create_user
    from tests.auth.test_login import log_in

    create_user("ann", "correct horse")
    create_user("bob", "correct horse")
    with Client() as laptop, Client() as phone, Client() as bob:
        for client, name in ((laptop, "ann"), (phone, "ann"), (bob, "bob")):
            log_in(client, name, "correct horse")
        laptop.post("/logout")  # one browser: a server-side store ends that session only
        assert phone.get("/whoami").json()["user"] == ("" if store == "cookie" else "ann")
        log_in(laptop, "ann", "correct horse")
        log_in(phone, "ann", "correct horse")
        laptop.post("/logout", data={"everywhere": "1"})
        assert phone.get("/whoami").json()["user"] == ""
        assert bob.get("/whoami").json()["user"] == "bob"  # other users keep their sessions
        log_in(phone, "ann", "correct horse")
        assert phone.get("/whoami").json()["user"] == "ann"  # and ann can log in again
