"""Signed values: data handed to a client (cookies, tokens) that comes back provably unchanged.

::

    token = signing.dumps({"user": 7}, salt="duck.auth.token")
    signing.loads(token, salt="duck.auth.token", max_age=3600)   # {"user": 7}, or BadSignature

A signature is HMAC-SHA256 (RFC 2104) under a key derived from ``SECRET_KEY`` and a ``salt`` naming
the use, so a value signed for one use (a session cookie) is never accepted for another (a bearer
token). Every signature carries the time it was made, so ``max_age`` can refuse old ones. Values are
signed, not encrypted: the client can read them, never change them. ``SECRET_KEY_FALLBACKS`` are
tried when checking (never when signing), so the key can be rotated without invalidating everything.

The format is ``payload:timestamp:signature``, each part base64url or base36 (cookie-safe, URL-safe).
The standard library's ``hmac`` does it in a few lines, so no signing library is needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib
from collections.abc import Sequence
from typing import Any

from duck.conf import settings
from duck.exceptions import BadSignature, ImproperlyConfigured, SignatureExpired

__all__ = ["BadSignature", "SignatureExpired", "Signer", "dumps", "loads"]

_SEP = ":"
# A compressed payload starts with this (base64url never produces it).
_COMPRESSED = "."


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def secret_keys() -> tuple[str, list[str]]:
    """``SECRET_KEY`` and its fallbacks.

    Raises:
        ImproperlyConfigured: ``SECRET_KEY`` is empty (DEBUG on lets a project start without one).
    """
    key = settings.SECRET_KEY
    if not key:
        raise ImproperlyConfigured(
            "SECRET_KEY is empty, and signing (sessions, CSRF, tokens) needs it. Generate one with "
            'python -c "import secrets; print(secrets.token_urlsafe(50))" and set SECRET_KEY in settings.'
        )
    return key, list(settings.SECRET_KEY_FALLBACKS)


class Signer:
    """Signs strings under ``key`` (default ``SECRET_KEY``) for the use named by ``salt``.

    Args:
        salt: names the use ("duck.sessions", "duck.auth.token"): a signature for one use is
            worthless for another.
        key, fallback_keys: override ``SECRET_KEY`` / ``SECRET_KEY_FALLBACKS`` (tests, key rotation tools).
    """

    def __init__(self, salt: str, *, key: str | None = None, fallback_keys: Sequence[str] | None = None) -> None:
        if not salt:
            raise ValueError("A Signer needs a salt naming what it signs.")
        self.salt = salt
        if key is None:
            key, fallbacks = secret_keys()
            fallback_keys = fallbacks if fallback_keys is None else fallback_keys
        self._key = key
        self._fallbacks = list(fallback_keys or ())

    def _signature(self, key: str, value: str) -> str:
        derived = hmac.new(key.encode(), b"duck.signing." + self.salt.encode(), hashlib.sha256).digest()
        return _b64encode(hmac.new(derived, value.encode(), hashlib.sha256).digest())

    def sign(self, value: str, *, timestamp: float | None = None) -> str:
        """``value:timestamp:signature``, ``timestamp`` (seconds since the epoch) defaulting to now."""
        if not value.isascii():
            raise ValueError("Signed values must be ASCII.")
        stamped = f"{value}{_SEP}{_base36(int(time.time() if timestamp is None else timestamp))}"
        return f"{stamped}{_SEP}{self._signature(self._key, stamped)}"

    def unsign(self, signed: str, *, max_age: float | None = None) -> str:
        """The value ``sign`` was given, checked against the key and its fallbacks.

        Raises:
            BadSignature: malformed, or not signed by any of the keys for this salt.
            SignatureExpired: signed more than ``max_age`` seconds ago.
        """
        stamped, sep, signature = signed.rpartition(_SEP)
        value, sep2, stamp = stamped.rpartition(_SEP)
        if not sep or not sep2 or not signature.isascii():
            raise BadSignature("Malformed signed value.")
        if not any(
            hmac.compare_digest(signature, self._signature(key, stamped)) for key in (self._key, *self._fallbacks)
        ):
            raise BadSignature("Signature does not match.")
        try:
            signed_at = int(stamp, 36)
        except ValueError:
            raise BadSignature("Malformed timestamp.") from None
        if max_age is not None and time.time() - signed_at > max_age:
            raise SignatureExpired(f"Signature is older than {max_age:g} seconds.")
        return value

    def signed_at(self, signed: str) -> int:
        """When a value that :meth:`unsign` accepted was signed (seconds since the epoch)."""
        return int(signed.rpartition(_SEP)[0].rpartition(_SEP)[2], 36)


def dumps(obj: Any, *, salt: str, compress: bool = True, key: str | None = None) -> str:
    """``obj`` as compact JSON, base64url-encoded (zlib-compressed when that is shorter), signed for ``salt``."""
    raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    payload = _b64encode(raw)
    if compress:
        packed = zlib.compress(raw)
        if len(packed) < len(raw) - 1:
            payload = _COMPRESSED + _b64encode(packed)
    return Signer(salt, key=key).sign(payload)


def loads(token: str, *, salt: str, max_age: float | None = None, key: str | None = None) -> Any:
    """The object :func:`dumps` signed for ``salt``.

    Raises:
        BadSignature: tampered with, signed for another salt or key, or not decodable.
        SignatureExpired: older than ``max_age`` seconds.
    """
    payload = Signer(salt, key=key).unsign(token, max_age=max_age)
    try:
        if payload.startswith(_COMPRESSED):
            raw = zlib.decompressobj().decompress(_b64decode(payload[1:]), 1024 * 1024)
        else:
            raw = _b64decode(payload)
        return json.loads(raw)
    except (binascii.Error, ValueError, zlib.error) as exc:  # a signed value we cannot read: treat as forged
        raise BadSignature("Signed payload cannot be decoded.") from exc
