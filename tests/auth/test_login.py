"""Signing up, logging in and out, login_required, the mixin, throttling: through the test client."""

from __future__ import annotations

import re

from duck.auth import create_user
from duck.test import Client


def csrf_from(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def log_in(client: Client, username: str, password: str, **extra: str):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrfmiddlewaretoken": token, **extra}
    )


def test_login_sets_the_user_and_cycles_the_session(accounts):
    create_user("ann", "correct horse")
    with Client() as client:
        assert client.get("/whoami").json()["user"] == ""
        before = client.cookies.get("sessionid")
        response = log_in(client, "ann", "correct horse")
        assert response.status_code == 302 and response["location"] == "/"
        assert client.cookies.get("sessionid") not in (None, before)
        assert client.get("/whoami").json() == {
            "user": "ann",
            "auth": "session",
            "client": ["127.0.0.1", 50000],
            "scheme": "http",
            "secure": False,
            "host": "testserver",
        }
        assert client.get("/private").text == "private for ann"
        assert client.get("/private-async").text == "async private for ann"
        assert client.get("/profile").text == "profile of ann"
