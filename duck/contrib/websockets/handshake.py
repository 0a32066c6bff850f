"""Checks on the upgrade request before a WebSocket route switches protocols (RFC 6455 §4.2.1-§4.2.2).

:func:`check_handshake` raises, and the caller's usual error path answers:

====================================================================  =========================
upgrade request                                                       answer
====================================================================  =========================
not GET, HTTP/1.0, missing/invalid ``Sec-WebSocket-Key`` or version    400 (InvalidHandshake)
plain GET (no ``Upgrade: websocket`` + ``Connection: Upgrade``)        426 + ``Upgrade: websocket``
``Sec-WebSocket-Version`` other than 13                                426 + ``Sec-WebSocket-Version: 13``
``Origin`` of another site, not in ``WEBSOCKET_ALLOWED_ORIGINS``       403 (PermissionDenied)
====================================================================  =========================

:class:`~duck.exceptions.InvalidHandshake`, :class:`~duck.exceptions.UpgradeRequired` and
:class:`~duck.exceptions.PermissionDenied` are ``HttpError`` s that the core turns into responses.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from websockets.datastructures import Headers as WSHeaders
from websockets.http11 import Request as WSRequest

from duck.conf import settings
from duck.exceptions import InvalidHandshake, PermissionDenied, UpgradeRequired
from duck.http.request import Request

security_logger = logging.getLogger("duck.security")

__all__ = [
    "check_handshake",
    "check_origin",
    "is_asgi_request",
    "select_subprotocol",
    "to_websockets_request",
]

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_UPGRADE_HEADERS = [("Upgrade", "websocket"), ("Connection", "Upgrade")]


def is_asgi_request(request: Request) -> bool:
    """True when the request came from an ASGI ``websocket`` scope (``request.scope``, set by duck.asgi).

    The ASGI server has then already validated the HTTP side of the handshake (key, version),
    and may not pass those headers on.
    """
    scope = request.scope
    return scope is not None and scope.get("type") == "websocket"


def check_handshake(request: Request) -> None:
    """Raise unless ``request`` is an acceptable WebSocket opening handshake.

    Raises:
        InvalidHandshake: a malformed handshake (400, RFC 6455 §4.2.1).
        UpgradeRequired: a plain HTTP request, or an unsupported protocol version (426, §4.2.2).
        PermissionDenied: a cross-site Origin (403, §10.2).
    """
    if not is_asgi_request(request):
        _check_http_side(request)
    check_origin(request)


def _check_http_side(request: Request) -> None:
    # RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
    if request.method != "GET":
        raise InvalidHandshake(f"A WebSocket handshake uses GET, not {request.method}.", 400)
    if request.http_version in ("1.0", "0.9"):
        raise InvalidHandshake("A WebSocket handshake needs HTTP/1.1.", 400)
    if not request.is_websocket():
        raise UpgradeRequired(
            "This URL serves WebSocket connections only; connect with a WebSocket client.",
            headers=_UPGRADE_HEADERS,
        )
    keys = request.headers.getlist("sec-websocket-key")
    if len(keys) != 1 or not _valid_key(keys[0]):
        # §4.2.1 item 5: the key is the base64 encoding of 16 random bytes.
        raise InvalidHandshake("Missing or invalid Sec-WebSocket-Key header.", 400)
    versions = request.headers.getlist("sec-websocket-version")
    if not versions:
        raise InvalidHandshake("Missing Sec-WebSocket-Version header.", 400)
    if len(versions) != 1 or versions[0].strip() != "13":
        # §4.2.2 item 4: answer with the versions we speak.
        raise UpgradeRequired(
            "Unsupported WebSocket version; this server speaks version 13.",
            headers=[("Sec-WebSocket-Version", "13")],
        )


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.strip().encode("ascii"), validate=True)) == 16
    except (binascii.Error, UnicodeEncodeError):
        return False


def check_origin(request: Request) -> None:
    """Refuse cross-site WebSocket hijacking (RFC 6455 §10.2; browsers always send ``Origin``).

    Allowed: no Origin (a non-browser client) unless ``WEBSOCKET_REQUIRE_ORIGIN``; an Origin of the
    same origin as the request (RFC 6454: scheme, host and port; default ports ignored; an https
    page and a wss socket are same-origin, an http page and a wss socket are not); an Origin listed exactly
    (``scheme://host[:port]``) in ``WEBSOCKET_ALLOWED_ORIGINS``, or any when it lists ``"*"``.

    Raises:
        PermissionDenied: anything else (403).
    """
    origins = request.headers.getlist("origin")
    if not origins:
        if settings.WEBSOCKET_REQUIRE_ORIGIN:
            raise PermissionDenied("WebSocket handshakes must carry an Origin header.")
        return
    origin = origins[0].strip()
    if len(origins) == 1 and _origin_allowed(origin, request):
        return
    security_logger.warning(
        "Refused a WebSocket handshake to %s from Origin %r; add it to WEBSOCKET_ALLOWED_ORIGINS if it is trusted.",
        request.path,
        origin[:200],
    )
    raise PermissionDenied("Cross-origin WebSocket connection refused.")


def _origin_allowed(origin: str, request: Request) -> bool:
    allowed = settings.WEBSOCKET_ALLOWED_ORIGINS
    if "*" in allowed:
        return True
    normalized = origin.lower().rstrip("/")
    if any(normalized == entry.strip().lower().rstrip("/") for entry in allowed):
        return True
    return _same_origin(normalized, request)


# A page's scheme and the scheme of the socket it may open as same-origin (RFC 6454 §4: an origin
# is scheme, host and port; an http page and a ws socket share a site, http and https do not).
_PAGE_SCHEMES = {"http": "http", "ws": "http", "https": "https", "wss": "https"}


def _same_origin(origin: str, request: Request) -> bool:
    """Compare the Origin's scheme, host and port with the request's, default ports left out."""
    host = request.headers.get("host")
    if not host:
        return False
    try:
        parts = urlsplit(origin)
        scheme = _PAGE_SCHEMES.get(parts.scheme)
        if scheme is None or scheme != request.scheme:
            return False
        origin_host = _netloc(parts.hostname, parts.port, _DEFAULT_PORTS[scheme])
        host_parts = urlsplit("//" + host.strip().lower())
        request_host = _netloc(host_parts.hostname, host_parts.port, _DEFAULT_PORTS[request.scheme])
    except ValueError:  # a port that is not a number, or out of range
        return False
    return origin_host is not None and origin_host == request_host


def _netloc(hostname: str | None, port: int | None, default_port: int | None) -> str | None:
    if not hostname:
        return None
    if ":" in hostname:  # IPv6 literal
        hostname = f"[{hostname}]"
    return hostname if port is None or port == default_port else f"{hostname}:{port}"


def select_subprotocol(available: Sequence[str], offered: Sequence[str]) -> str | None:
    """The first of the route's subprotocols the client offered, or None (RFC 6455 §4.2.2).

    With none in common the handshake still succeeds, without a subprotocol, and the client
    decides whether it can go on (``websockets`` would refuse with 400).
    """
    for subprotocol in available:
        if subprotocol in offered:
            return subprotocol
    return None


def to_websockets_request(request: Request) -> WSRequest:
    """The upgrade request as the ``websockets`` sans-I/O layer wants it (path and headers only)."""
    return WSRequest(request.get_full_path(), WSHeaders(request.headers.items()))
