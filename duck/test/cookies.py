"""The test clients' cookie jar: what a browser keeps from ``Set-Cookie`` for one test site.

Deliberately small: every cookie goes back on every request (the clients talk to one site,
and tests rarely depend on Path or Domain scoping). Expiry is honoured, because logging out is
usually a cookie deleted with ``Max-Age=0`` or a past ``Expires`` (RFC 6265 §5.3 steps 3-4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["CookieJar"]


class CookieJar(MutableMapping[str, str]):
    """Cookie values by name; set or delete entries directly to shape the next request."""

    def __init__(self) -> None:
        self._cookies: dict[str, str] = {}

    def update_from_headers(self, set_cookie_values: Iterable[str]) -> None:
        """Apply ``Set-Cookie`` header values, in order (a later one wins)."""
        for value in set_cookie_values:
            self._apply(value)

    def _apply(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            return  # RFC 6265 §5.2 step 2: ignore a set-cookie-string without a name-value pair
        if _expired(attributes):
            self._cookies.pop(name, None)
        else:
            self._cookies[name] = value.strip()

    def header(self) -> str | None:
        """The ``Cookie`` request header, or None when the jar is empty."""
        if not self._cookies:
            return None
        return "; ".join(f"{name}={value}" for name, value in self._cookies.items())

    def __getitem__(self, name: str) -> str:
        return self._cookies[name]

    def __setitem__(self, name: str, value: str) -> None:
        self._cookies[name] = value

    def __delitem__(self, name: str) -> None:
        del self._cookies[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cookies)

    def __len__(self) -> int:
        return len(self._cookies)

    def __repr__(self) -> str:
        return f"<CookieJar {self._cookies!r}>"


def _expired(attributes: list[str]) -> bool:
    """Max-Age wins over Expires (RFC 6265 §5.3 step 3); unparsable values are ignored."""
    expires: str | None = None
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key == "max-age":
            try:
                return int(value) <= 0
            except ValueError:
                continue
        if key == "expires":
            expires = value
    if expires is None:
        return False
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when <= datetime.now(timezone.utc)
