"""Cookie parsing (RFC 6265 §5.4 ``Cookie`` header) and ``Set-Cookie`` formatting (§4.1)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
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


# RFC 6265 §6.1 and every current browser: a cookie (name, value and attributes) of more bytes is dropped.
MAX_COOKIE_SIZE = 4096
# An attribute value (Domain, Path, Expires) must not end the attribute early or the header line.
_ATTRIBUTE_VALUE = re.compile(r"^[\x20-\x3A\x3C-\x7E]*$")
_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def format_set_cookie(
    name: str,
    value: str = "",
    *,
    max_age: int | timedelta | None = None,
    expires: datetime | str | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` header value (RFC 6265 §4.1, with SameSite and Partitioned).

    Args:
        name: a token (RFC 9110 §5.6.2).
        value: cookie-octets only (no space, quote, comma, semicolon or backslash): percent-encode
            anything else (``urllib.parse.quote``).
        max_age: seconds (or a ``timedelta``) until the cookie expires; unless ``expires`` is given,
            ``Expires`` is set from it too, for clients that ignore Max-Age. 0 deletes the cookie.
        expires: a ``datetime`` (naive means UTC) or an HTTP date string.
        path, domain: the cookie's scope.
        secure: send only over HTTPS. Required by ``samesite="None"`` and ``partitioned``.
        httponly: hide from JavaScript.
        samesite: ``"Lax"`` (the default), ``"Strict"``, ``"None"`` or None (no attribute).
        partitioned: CHIPS: one cookie jar per top-level site (third-party contexts).

    Raises:
        ValueError: a value that would break the header or a combination browsers refuse; these
            are programming errors in the view, so they are raised, never fixed silently.
    """
    if not _TOKEN.match(name):
        raise ValueError(f"Invalid cookie name {name!r}: use letters, digits and !#$%&'*+-.^_`|~.")
    if not _COOKIE_VALUE.match(value):
        raise ValueError(f"Invalid cookie value {value!r}: percent-encode it (urllib.parse.quote).")
    samesite_attribute = _samesite(samesite)
    if samesite_attribute == "None" and not secure:
        raise ValueError("A cookie with samesite='None' must also be secure=True (browsers refuse it otherwise).")
    if partitioned and not secure:
        raise ValueError("A partitioned cookie must also be secure=True (browsers refuse it otherwise).")
    parts = [f"{name}={value}"]
    seconds = None
    if max_age is not None:
        seconds = int(max_age.total_seconds() if isinstance(max_age, timedelta) else max_age)
        if expires is None:
            expires = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    if expires is not None:
        date = _http_date(expires) if isinstance(expires, datetime) else _attribute("expires", expires)
        parts.append(f"Expires={date}")
    if seconds is not None:
        parts.append(f"Max-Age={max(seconds, 0)}")
    if domain:
        parts.append(f"Domain={_attribute('domain', domain)}")
    if path:
        parts.append(f"Path={_attribute('path', path)}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite_attribute:
        parts.append(f"SameSite={samesite_attribute}")
    if partitioned:
        parts.append("Partitioned")
    header = "; ".join(parts)
    if len(header) > MAX_COOKIE_SIZE:
        raise ValueError(f"The cookie {name!r} is {len(header)} bytes; browsers drop cookies over {MAX_COOKIE_SIZE}.")
    return header


def _samesite(samesite: str | None) -> str | None:
    if samesite is None:
        return None
    attribute = _SAMESITE.get(samesite.lower()) if isinstance(samesite, str) else None
    if attribute is None:
        raise ValueError(f"samesite must be 'Lax', 'Strict', 'None' or None, not {samesite!r}.")
    return attribute


def _attribute(name: str, value: str) -> str:
    if not _ATTRIBUTE_VALUE.match(value):
        raise ValueError(f"Invalid cookie {name} {value!r}: no control characters or semicolons.")
    return value


def _http_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
