"""Cookie parsing (RFC 6265 §5.4 ``Cookie`` header) and ``Set-Cookie`` formatting (§4.1)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import unquote

from duck.exceptions import BadRequest

# cookie-name is an RFC 9110 token.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# cookie-octet excludes CTLs, whitespace, DQUOTE, comma, semicolon and backslash.
_COOKIE_VALUE = re.compile(r"^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$")
MAX_COOKIES = 200


def parse_cookie(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header into a dict (the first of repeated names wins, per RFC 6265 §5.4).

    Browsers send values that are not strictly RFC-conformant (spaces, quotes), so values are
    accepted leniently and percent-decoded; a pair without a token name is malformed.

    Raises:
        BadRequest: a control character, a pair with an invalid name, or too many cookies.
    """
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in header):
        raise BadRequest("Malformed Cookie header: control character.")
    pairs = [p.strip() for p in header.split(";")]
    if len(pairs) > MAX_COOKIES:
        raise BadRequest("Too many cookies.")
    for pair in pairs:
        if not pair:
            continue
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _TOKEN.match(name):
            raise BadRequest("Malformed Cookie header.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, unquote(value))
    return cookies


def format_set_cookie(
    name: str,
    value: str = "",
    *,
    max_age: int | None = None,
    expires: datetime | str | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
) -> str:
    """Build a ``Set-Cookie`` header value.

    Raises:
        ValueError: an invalid name, value, or SameSite; these are programming errors in the view.
    """
    if not _TOKEN.match(name):
        raise ValueError(f"Invalid cookie name {name!r}.")
    if not _COOKIE_VALUE.match(value):
        raise ValueError(f"Invalid cookie value {value!r}: percent-encode it (urllib.parse.quote).")
    parts = [f"{name}={value}"]
    if expires is not None:
        if isinstance(expires, datetime):
            expires = format_datetime(expires.astimezone(timezone.utc), usegmt=True)
        parts.append(f"Expires={expires}")
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if domain:
        parts.append(f"Domain={domain}")
    if path:
        parts.append(f"Path={path}")
    if secure or samesite == "None":  # SameSite=None requires Secure in every current browser
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite:
        if samesite.lower() not in ("lax", "strict", "none"):
            raise ValueError("samesite must be 'Lax', 'Strict' or 'None'.")
        parts.append(f"SameSite={samesite.capitalize()}")
    return "; ".join(parts)
