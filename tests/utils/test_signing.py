"""duck.utils.signing: round trips, tampering, salts, expiry, key rotation."""

from __future__ import annotations

import time

import pytest

from duck.exceptions import BadSignature, ImproperlyConfigured, SignatureExpired
from duck.test import override_settings
from duck.utils import signing


def test_round_trip_of_json_values():
    for value in ({"user": 7, "name": "ånn"}, [1, 2, 3], "text", None, {"big": "x" * 5000}):
        assert signing.loads(signing.dumps(value, salt="test"), salt="test") == value


def test_long_payloads_are_compressed():
    assert len(signing.dumps({"big": "x" * 5000}, salt="test")) < 200


@pytest.mark.parametrize("mutate", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "x" + t, str.upper])
def test_any_change_is_a_bad_signature(mutate):
    token = signing.dumps({"user": 7}, salt="test")
    with pytest.raises(BadSignature):
        signing.loads(mutate(token), salt="test")


def test_a_signature_is_worth_nothing_for_another_salt():
    with pytest.raises(BadSignature):
        signing.loads(signing.dumps(1, salt="duck.sessions.cookie"), salt="duck.auth.token")


def test_max_age_refuses_old_signatures():
    signer = signing.Signer("test")
    old = signer.sign("value", timestamp=time.time() - 100)
    assert signer.unsign(old, max_age=200) == "value"
    with pytest.raises(SignatureExpired):
        signer.unsign(old, max_age=50)


def test_fallback_keys_verify_but_never_sign():
    with override_settings(SECRET_KEY="old-key"):
        token = signing.dumps("x", salt="test")
    with override_settings(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]):
        assert signing.loads(token, salt="test") == "x"
        assert signing.loads(signing.dumps("y", salt="test"), salt="test", key="new-key") == "y"
    with override_settings(SECRET_KEY="new-key"), pytest.raises(BadSignature):
        signing.loads(token, salt="test")


def test_an_empty_key_cannot_sign_even_in_debug():
    with override_settings(SECRET_KEY="", DEBUG=True), pytest.raises(ImproperlyConfigured, match="token_urlsafe"):
        signing.dumps(1, salt="test")


@pytest.mark.parametrize("token", ["", "a", "a:b", "a:b:c", ":::", "é:1:x", ".!!!:1:x"])
def test_garbage_is_a_bad_signature_never_a_crash(token):
    with pytest.raises(BadSignature):
        signing.loads(token, salt="test")
