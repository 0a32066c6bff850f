"""Strict parsing of ``application/x-www-form-urlencoded`` data (query strings and form bodies).

Python's ``urllib.parse.parse_qsl`` silently accepts broken percent-escapes and invalid UTF-8;
here they are a :class:`~duck.exceptions.BadRequest`, as is exceeding the field limit.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from duck.exceptions import BadRequest
from duck.http.datastructures import MultiDict

# A '%' not followed by two hex digits is a malformed escape (WHATWG URL §1.3 calls it a validation error).
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def parse_qs(data: str | bytes, *, max_fields: int = 1000, charset: str = "utf-8") -> MultiDict[str]:
    """Parse ``a=1&b=2&a=3`` into a :class:`MultiDict`.

    Empty pairs (``a=1&&b=2``) are skipped; a name without ``=`` gets the empty value.

    Raises:
        BadRequest: malformed percent-escapes, undecodable text, or more than ``max_fields`` fields.
    """
    raw = data.encode("latin-1") if isinstance(data, str) else bytes(data)  # a bytearray slice is unhashable
    result: MultiDict[str] = MultiDict()
    if not raw:
        return result
    if _BAD_PERCENT.search(raw):
        raise BadRequest("Malformed percent-encoding in form data or query string.")
    pairs = [pair for pair in raw.split(b"&") if pair]
    if len(pairs) > max_fields:
        raise BadRequest(f"Too many fields (more than {max_fields}) in form data or query string.")
    for pair in pairs:
        name, _, value = pair.partition(b"=")
        result.add(_decode(name, charset), _decode(value, charset))
    return result


def _decode(component: bytes, charset: str) -> str:
    try:
        return unquote_to_bytes(component.replace(b"+", b" ")).decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise BadRequest(f"Form data or query string is not valid {charset}.") from None
