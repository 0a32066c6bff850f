"""CsrfViewMiddleware: tokens bound to the session, Origin and Referer checks, exemptions, the 403 page."""

from __future__ import annotations

import logging

import pytest

from duck.auth import create_user
from duck.test import Client, override_settings
from tests.auth.test_login import csrf_from, log_in


def note_token(client: Client) -> str:
    return csrf_from(client.get("/note").text)


def test_a_form_with_its_token_is_accepted(accounts):
    with Client(enforce_csrf_checks=True) as client:
        token = note_token(client)
        assert client.post("/note", data={"text": "hi", "csrfmiddlewaretoken": token}).text == "noted: hi"


def test_the_header_carries_the_token_for_javascript(accounts):
    with Client(enforce_csrf_checks=True) as client:
        token = note_token(client)
        response = client.post("/note", json={"text": "x"}, headers={"X-CSRFToken": token})
        assert response.status_code == 200


def test_each_page_gets_a_fresh_mask_of_the_same_secret(accounts):
    with Client(enforce_csrf_checks=True) as client:
        first, second = note_token(client), note_token(client)
        assert first != second
        for token in (first, second):
            assert client.post("/note", data={"text": "", "csrfmiddlewaretoken": token}).status_code == 200


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"text": "hi"}, "CSRF token missing"),
        ({"text": "hi", "csrfmiddlewaretoken": "x" * 86}, "CSRF token incorrect"),
        ({"text": "hi", "csrfmiddlewaretoken": "not base64 at all!"}, "CSRF token incorrect"),
    ],
)
def test_a_missing_or_wrong_token_is_403_with_a_page_that_says_why(accounts, caplog, data, reason):
    with Client(enforce_csrf_checks=True) as client:
        note_token(client)  # the session has a secret
        with caplog.at_level(logging.WARNING, logger="duck.security"):
            response = client.post("/note", data=data)
    assert response.status_code == 403
    assert "CSRF verification failed" in response.text and reason in response.text
    assert "Forbidden (CSRF" in caplog.text


def test_without_a_session_there_is_no_valid_token(accounts):
    with Client(enforce_csrf_checks=True) as client:
        response = client.post("/note", data={"csrfmiddlewaretoken": "x" * 86})
    assert response.status_code == 403 and "No CSRF token in the session" in response.text


def test_a_token_from_another_session_is_refused(accounts):
    with Client(enforce_csrf_checks=True) as mallory:
        stolen = note_token(mallory)
    with Client(enforce_csrf_checks=True) as victim:
        note_token(victim)
        assert victim.post("/note", data={"csrfmiddlewaretoken": stolen}).status_code == 403


def test_login_replaces_the_secret(accounts):
    create_user("ann", "correct horse")
    with Client(enforce_csrf_checks=True) as client:
        before = note_token(client)
        log_in(client, "ann", "correct horse")
        assert client.post("/note", data={"csrfmiddlewaretoken": before}).status_code == 403
        assert client.post("/note", data={"csrfmiddlewaretoken": note_token(client)}).status_code == 200


def test_a_cross_site_origin_is_refused_even_with_a_token(accounts):
    with Client(enforce_csrf_checks=True) as client:
        token = note_token(client)
        evil = client.post("/note", data={"csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403 and "not this site" in evil.text
        own = client.post("/note", data={"csrfmiddlewaretoken": token}, headers={"Origin": "http://testserver"})
        assert own.status_code == 200


def test_https_needs_a_referer_of_this_site_when_there_is_no_origin(accounts):
    with Client(scheme="https", enforce_csrf_checks=True) as client:
        token = note_token(client)
        form = {"csrfmiddlewaretoken": token}
        assert "no Referer" in client.post("/note", data=form).text
        refused = client.post("/note", data=form, headers={"Referer": "https://evil.example/page"})
        assert refused.status_code == 403
        downgraded = client.post("/note", data=form, headers={"Referer": "http://testserver/note"})
        assert downgraded.status_code == 403
        assert client.post("/note", data=form, headers={"Referer": "https://testserver/note"}).status_code == 200


def test_trusted_origins_are_accepted(accounts):
    with (
        override_settings(CSRF_TRUSTED_ORIGINS=["https://app.example"]),
        Client(scheme="https", enforce_csrf_checks=True) as client,
    ):
        token = note_token(client)
        response = client.post("/note", data={"csrfmiddlewaretoken": token}, headers={"Origin": "https://app.example"})
        assert response.status_code == 200


def test_exempt_views_and_safe_methods_need_no_token(accounts):
    with Client(enforce_csrf_checks=True) as client:
        assert client.post("/webhook").text == "hooked"
        assert client.get("/note").status_code == 200


def test_csrf_without_sessions_says_what_is_missing(accounts, caplog):
    with (
        override_settings(MIDDLEWARE=["duck.middleware.csrf.CsrfViewMiddleware"]),
        Client(enforce_csrf_checks=True) as client,
    ):
        response = client.get("/note")
    assert response.status_code == 500
    assert "put 'duck.sessions.middleware.SessionMiddleware' before" in caplog.text


def test_the_test_client_skips_the_check_unless_asked_as_djangos_does(accounts):
    with Client() as client:
        assert client.post("/note", data={"text": "hi"}).text == "noted: hi"


def test_a_junk_bearer_token_switches_nothing_off(accounts):
    """The victim's cookie plus a header that authenticates nobody: still 403, the session untouched."""
    create_user("ann", "correct horse")
    junk = {"Authorization": "Bearer junk"}
    with Client(enforce_csrf_checks=True) as victim:
        log_in(victim, "ann", "correct horse")
        for path, form in (("/logout", {}), ("/login", {"username": "ann", "password": "x"}), ("/note", {})):
            response = victim.post(path, data=form, headers=junk)
            assert response.status_code == 403 and "set-cookie" not in response.response.headers, path
        who = victim.get("/whoami").json()
        assert (who["user"], who["auth"]) == ("ann", "session")


def test_a_valid_bearer_token_needs_no_csrf_token_and_leaves_the_cookie_session_alone(accounts):
    from duck.auth import create_token

    create_user("ann", "correct horse")
    bearer = {"Authorization": f"Bearer {create_token(create_user('bot', 'correct horse'))}"}
    with Client(enforce_csrf_checks=True) as browser:
        log_in(browser, "ann", "correct horse")
        assert browser.get("/counter").text == "1"
        assert browser.post("/note", data={"text": "api"}, headers=bearer).text == "noted: api"
        assert browser.post("/whoami", headers=bearer).json()["user"] == "bot"
        counted = browser.post("/counter", headers=bearer)  # a session of the request's own, never saved
        assert counted.text == "1" and "set-cookie" not in counted.response.headers
        logged_out = browser.post("/logout", headers=bearer)
        assert logged_out.status_code == 200 and "set-cookie" not in logged_out.response.headers
        assert browser.get("/whoami").json()["user"] == "ann"  # the cookie's session went untouched
        assert browser.get("/counter").text == "2"
