"""SecurityMiddleware: the headers it adds, HSTS over HTTPS only, the HTTPS redirect."""

from __future__ import annotations

from duck.test import Client, override_settings


def test_default_headers(accounts):
    with Client() as client:
        response = client.get("/whoami")
    assert response["x-content-type-options"] == "nosniff"
    assert response["referrer-policy"] == "same-origin"
    assert response["x-frame-options"] == "DENY"
    assert response["cross-origin-opener-policy"] == "same-origin"
    assert "strict-transport-security" not in response.response.headers
    assert "content-security-policy" not in response.response.headers


def test_csp_hsts_and_the_choices_of_settings(accounts):
    options = {
        "CONTENT_SECURITY_POLICY": "default-src 'self'",
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "X_FRAME_OPTIONS": "SAMEORIGIN",
        "SECURE_REFERRER_POLICY": None,
    }
    with override_settings(**options):
        with Client(scheme="https") as client:
            secure = client.get("/whoami")
        with Client() as client:
            plain = client.get("/whoami")
    assert secure["content-security-policy"] == "default-src 'self'"
    assert secure["strict-transport-security"] == "max-age=3600; includeSubDomains"
    assert secure["x-frame-options"] == "SAMEORIGIN"
    assert "referrer-policy" not in secure.response.headers
    assert "strict-transport-security" not in plain.response.headers  # RFC 6797 §7.2: never over HTTP


def test_https_redirect_keeps_the_path_and_query(accounts):
    with override_settings(SECURE_SSL_REDIRECT=True):
        with Client() as client:
            response = client.get("/whoami?x=1")
        with Client(scheme="https") as client:
            assert client.get("/whoami").status_code == 200
    assert response.status_code == 301 and response["location"] == "https://testserver/whoami?x=1"
