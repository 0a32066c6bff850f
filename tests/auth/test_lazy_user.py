"""request.user is the session's user when read, and only then does the response vary on Cookie (issue 21).

A page that reads neither the session nor the user is the same for everyone: without ``Vary: Cookie``
a shared cache may store it. Before, AuthenticationMiddleware read the session on every request.
"""

from __future__ import annotations

import pytest

from duck.auth import create_user
from duck.test import Client
from tests.auth.test_login import log_in


def varies_on_cookie(response) -> bool:
    return "cookie" in response.headers.get("vary", "").lower()


def test_an_anonymous_page_that_reads_no_user_does_not_vary_and_sets_no_cookie(accounts):
    with Client() as client:
        response = client.get("/plain")
    assert response.status_code == 200
    assert not varies_on_cookie(response)
    assert "set-cookie" not in response.headers


def test_reading_the_user_makes_the_response_vary_on_cookie(accounts):
    with Client() as client:
        response = client.get("/whoami")
    assert response.json()["user"] == "" and response.json()["auth"] is None
    assert varies_on_cookie(response)


def test_a_logged_in_page_that_reads_no_user_does_not_vary_either(accounts):
    create_user("ann", "correct horse")
    with Client() as client:
        assert log_in(client, "ann", "correct horse").status_code == 302
        assert not varies_on_cookie(client.get("/plain"))
        who = client.get("/whoami")
    assert who.json()["user"] == "ann" and who.json()["auth"] == "session"
    assert varies_on_cookie(who)


def test_an_anonymous_request_never_looks_a_user_up(accounts, monkeypatch):
    import duck.auth.middleware

    def fail(session):
        raise AssertionError("looked up a user for a session that names none")

    monkeypatch.setattr(duck.auth.middleware, "user_from_session", fail)
    with Client() as client:
        assert client.get("/whoami").json()["user"] == ""


def test_without_the_middleware_request_user_says_what_to_add():
    from duck.http.request import Request

    with pytest.raises(AttributeError, match="AuthenticationMiddleware"):
        Request("GET", "/").user  # noqa: B018
