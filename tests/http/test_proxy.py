"""TRUSTED_PROXIES: the pure rule, and each front door applying it (duck's server, WSGI, ASGI)."""

from __future__ import annotations

import io

import pytest

from duck.asgi import request_from_scope
from duck.http.datastructures import Headers
from duck.http.proxy import TrustedProxies, resolve_forwarded
from duck.test import override_settings
from duck.wsgi import request_from_environ

NGINX = ("127.0.0.1", 40000)
TRUSTED = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])


def resolve(headers, peer=NGINX, proxies=TRUSTED, family="x-forwarded"):
    forwarded = resolve_forwarded(peer, "http", Headers(headers), proxies, family)
    return forwarded.client, forwarded.scheme, forwarded.host


def test_a_trusted_proxy_sets_client_scheme_and_host():
    headers = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "x-forwarded-host": "example.com"}
    assert resolve(headers) == (("203.0.113.7", 0), "https", "example.com")


def test_headers_from_anyone_else_change_nothing():
    headers = {"x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example"}
    assert resolve(headers, peer=("198.51.100.9", 5000)) == (("198.51.100.9", 5000), "http", None)
    assert resolve(headers, proxies=TrustedProxies([])) == (NGINX, "http", None)


def test_a_forged_left_part_of_the_chain_is_never_reached():
    # The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the address it really saw.
    assert resolve({"x-forwarded-for": "6.6.6.6, 203.0.113.7"})[0] == ("203.0.113.7", 0)
    # Two trusted proxies: the right-most untrusted address is the client.
    assert resolve({"x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.1.2.3"})[0] == ("203.0.113.7", 0)
    # Every hop trusted: the first one.
    assert resolve({"x-forwarded-for": "10.0.0.5, 10.1.2.3"})[0] == ("10.0.0.5", 0)


def test_rfc_7239_forwarded():
    headers = {"forwarded": 'for=6.6.6.6;proto=http, for="[2001:db8::7]:4711";proto=https;host=example.com'}
    assert resolve(headers, family="forwarded") == (("2001:db8::7", 4711), "https", "example.com")
    assert resolve(headers) == (NGINX, "http", None)  # the family nginx does not write is ignored
    assert resolve({"x-forwarded-for": "203.0.113.7"}, family="forwarded") == (NGINX, "http", None)


@pytest.mark.parametrize("value", ["unknown", "_hidden", "not an address", "1.2.3.4.5"])
def test_unreadable_addresses_leave_the_peer(value):
    assert resolve({"x-forwarded-for": value})[0] == NGINX


def test_ipv6_peers_and_ipv4_mapped_addresses():
    assert "::ffff:127.0.0.1" in TRUSTED and "[::1]" in TrustedProxies(["::1"])
    assert "2001:db8::1" not in TRUSTED and "*" not in TRUSTED and "anything" in TrustedProxies(["*"])


def test_wsgi_and_asgi_apply_trusted_proxies():
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "internal:8000",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "example.com",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [
            (b"host", b"internal:8000"),
            (b"x-forwarded-for", b"203.0.113.7"),
            (b"x-forwarded-proto", b"https"),
        ],
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
    }
    plain_wsgi, plain_asgi = (
        request_from_environ(dict(environ, **{"wsgi.input": io.BytesIO()})),
        request_from_scope(scope),
    )
    assert plain_wsgi.client == plain_asgi.client == ("127.0.0.1", 40000) and not plain_wsgi.is_secure()
    with override_settings(TRUSTED_PROXIES=["127.0.0.1"], ALLOWED_HOSTS=["example.com", "internal"]):
        wsgi = request_from_environ(environ)
        asgi = request_from_scope(scope)
    assert wsgi.client == asgi.client == ("203.0.113.7", 0)
    assert wsgi.is_secure() and asgi.is_secure()
    assert wsgi.headers["host"] == "example.com" and asgi.headers["host"] == "internal:8000"
