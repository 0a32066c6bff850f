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


def test_a_wrong_password_shows_the_form_again_and_logs_nobody_in(accounts):
    create_user("ann", "correct horse")
    with Client() as client:
        response = log_in(client, "ann", "wrong horse")
        assert response.status_code == 400 and "Wrong username or password." in response.text
        assert client.get("/whoami").json()["user"] == ""


def test_users_log_in_with_their_email_too(accounts):
    create_user("ann", "correct horse", email="Ann@Example.com")
    with Client() as client:
        assert log_in(client, "ann@example.com", "correct horse").status_code == 302
        assert client.get("/whoami").json()["user"] == "ann"


def test_inactive_users_cannot_log_in(accounts):
    create_user("ann", "correct horse", is_active=False)
    with Client() as client:
        assert log_in(client, "ann", "correct horse").status_code == 400


def test_logout_takes_a_post_and_deletes_the_session(accounts):
    create_user("ann", "correct horse")
    with Client() as client:
        log_in(client, "ann", "correct horse")
        page = client.get("/logout").text
        assert "Log out" in page
        assert client.get("/whoami").json()["user"] == "ann"  # GET logged nobody out
        response = client.post("/logout", data={"csrfmiddlewaretoken": csrf_from(page)})
        assert response.status_code == 200 and "You are logged out." in response.text
        assert "sessionid=;" in response["set-cookie"] and "Max-Age=0" in response["set-cookie"]
        assert client.get("/whoami").json()["user"] == ""


def test_anonymous_visitors_are_sent_to_the_login_page_with_next(accounts):
    with Client() as client:
        for path in ("/private", "/private-async", "/profile"):
            response = client.get(path + "?x=1")
            assert response.status_code == 302
            assert response["location"] == f"/login?next={path}%3Fx%3D1"


def test_anonymous_token_clients_get_401_with_a_challenge(accounts):
    with Client(headers={"Authorization": "Bearer nonsense"}) as client:
        response = client.get("/private")
    assert response.status_code == 401
    assert response["www-authenticate"] == 'Bearer realm="duck"'


def test_next_goes_to_pages_of_this_site_only(accounts):
    create_user("ann", "correct horse")
    for target, expected in (("/profile", "/profile"), ("//evil.example/", "/"), ("https://evil.example/", "/")):
        with Client() as client:
            response = log_in(client, "ann", "correct horse", next=target)
            assert response["location"] == expected, target


def test_signup_creates_the_user_and_logs_them_in(accounts):
    with Client() as client:
        token = csrf_from(client.get("/signup").text)
        response = client.post(
            "/signup", data={"username": "bob", "password": "long enough", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
        assert client.get("/whoami").json()["user"] == "bob"
    with Client() as client:
        token = csrf_from(client.get("/signup").text)
        taken = client.post(
            "/signup", data={"username": "bob", "password": "long enough", "csrfmiddlewaretoken": token}
        )
        assert taken.status_code == 400 and "taken" in taken.text
        short = client.post("/signup", data={"username": "cy", "password": "short", "csrfmiddlewaretoken": token})
        assert short.status_code == 400 and "at least 8 characters" in short.text


def test_a_password_change_ends_the_other_sessions(accounts):
    from duck.auth import get_user_model
    from duck.db import get_session

    create_user("ann", "correct horse")
    with Client() as client:
        log_in(client, "ann", "correct horse")
        with get_session() as db, db.begin():
            user = db.scalar(__import__("sqlalchemy").select(get_user_model()))
            user.set_password("battery staple")
        assert client.get("/whoami").json()["user"] == ""


def test_guesses_are_throttled_per_account_and_address_without_locking_the_user_out(accounts):
    create_user("ann", "correct horse")
    with Client(client_address=("10.0.0.66", 1)) as attacker:
        for _ in range(5):  # LOGIN_THROTTLE_PER_USER_AND_IP
            assert log_in(attacker, "ann", "guess").status_code == 400
        refused = log_in(attacker, "ann", "correct horse")  # even the right password: the count comes first
        assert refused.status_code == 429
        assert 1 <= int(refused["retry-after"]) <= 60
    with Client(client_address=("10.9.9.9", 1)) as ann:
        assert log_in(ann, "ann", "correct horse").status_code == 302  # the real user, elsewhere, logs in


def test_the_username_and_the_email_of_one_account_share_one_count(accounts):
    create_user("ann", "correct horse", email="Ann@Example.com")
    with Client() as client:
        for name in ("ann", "ann@example.com", "ANN@EXAMPLE.COM", "ann", "Ann@Example.com"):
            assert log_in(client, name, "guess").status_code == 400
        assert log_in(client, "ann", "correct horse").status_code == 429
        assert log_in(client, "ann@example.com", "correct horse").status_code == 429


def test_the_per_account_ceiling_stops_guesses_from_many_addresses(accounts):
    from duck.test import override_settings

    create_user("ann", "correct horse")
    with override_settings(LOGIN_THROTTLE_PER_USER=4):
        for host in range(4):
            with Client(client_address=(f"10.2.0.{host}", 1)) as client:
                assert log_in(client, "ann", "guess").status_code == 400
        with Client(client_address=("10.2.1.1", 1)) as client:
            assert log_in(client, "ann", "correct horse").status_code == 429


def test_unknown_usernames_are_counted_and_checked_like_accounts(accounts, monkeypatch):
    """Same count, same single Argon2 verification, same refusal: nothing tells which names exist."""
    from duck.auth import hashers

    create_user("ann", "correct horse")
    verified: list[str] = []
    real_verify = hashers._verify

    def counting_verify(encoded: str, password: str) -> bool:
        verified.append(password)
        return real_verify(encoded, password)

    monkeypatch.setattr(hashers, "_verify", counting_verify)
    for name in ("ann", "nobody"):
        with Client() as client:
            verified.clear()
            assert [log_in(client, name, "guess").status_code for _ in range(6)] == [400] * 5 + [429]
            assert len(verified) == 5, name  # one hash per checked attempt, none for the refused one


def test_failed_logins_are_throttled_per_address(accounts):
    from duck.test import override_settings

    with override_settings(LOGIN_THROTTLE_PER_IP=3), Client(client_address=("10.1.1.1", 1)) as client:
        for name in ("a", "b", "c"):
            assert log_in(client, name, "guess").status_code == 400
        assert log_in(client, "d", "guess").status_code == 429
        with Client(client_address=("10.1.1.2", 1)) as neighbour:
            assert log_in(neighbour, "e", "guess").status_code == 400


def test_passwords_are_argon2id_hashes_never_stored_or_logged(accounts, caplog):
    from duck.auth import get_user_model
    from duck.db import get_session

    create_user("ann", "correct horse")
    with Client() as client:
        log_in(client, "ann", "not the password")
    with get_session() as db:
        stored = db.scalar(__import__("sqlalchemy").select(get_user_model().password))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert "not the password" not in caplog.text and "$argon2id$" not in caplog.text


def test_bearer_tokens_authenticate_until_they_expire_or_are_tampered_with(accounts):
    from duck.auth import create_token
    from duck.test import override_settings

    user = create_user("ann", "correct horse")
    token = create_token(user)
    with Client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/whoami").json()["auth"] == "token"
        assert client.get("/private").text == "private for ann"
        assert client.post("/note", data={"text": "no csrf needed"}).text == "noted: no csrf needed"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with Client(headers={"Authorization": f"Bearer {tampered}"}) as client:
        assert client.get("/whoami").json()["user"] == ""
        assert client.get("/private").status_code == 401
    with override_settings(AUTH_TOKEN_MAX_AGE=-1), Client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/whoami").json()["user"] == ""
