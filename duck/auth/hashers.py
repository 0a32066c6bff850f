"""Password hashes: Argon2id (RFC 9106), through argon2-cffi, with its recommended parameters.

A hash is a PHC string (``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``) that carries its own
parameters, so hashes made with older parameters still verify and are upgraded on the next login
(:func:`needs_rehash`). A password that must never match (a user made without one) is stored as
``"!"`` followed by random characters.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["UNUSABLE_PREFIX", "check_password", "is_usable", "make_password", "needs_rehash"]

UNUSABLE_PREFIX = "!"
_hasher = PasswordHasher()
# Verified against when no user matches, so that a missing user takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def make_password(password: str | None) -> str:
    """The hash to store for ``password``; None gives an unusable password."""
    if password is None:
        return UNUSABLE_PREFIX + secrets.token_urlsafe(30)
    return _hasher.hash(password)


def is_usable(encoded: str) -> bool:
    return bool(encoded) and not encoded.startswith(UNUSABLE_PREFIX)


def check_password(password: str, encoded: str | None) -> bool:
    """Whether ``password`` matches ``encoded``; always takes one hash's time, even without a hash."""
    if encoded is None or not is_usable(encoded):
        _verify(_DUMMY_HASH, password)
        return False
    return _verify(encoded, password)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Whether ``encoded`` was made with other parameters than today's (rehash it after a good login)."""
    try:
        return _hasher.check_needs_rehash(encoded)
    except InvalidHashError:
        return True
