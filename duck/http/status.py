"""Status codes and their reason phrases (RFC 9110 §15); a reason phrase is always sent."""

from __future__ import annotations

from http import HTTPStatus

REASON_PHRASES: dict[int, str] = {status.value: status.phrase for status in HTTPStatus}
# RFC 9110's names, which Python adopted only in 3.13: the wire is the same on every Python.
REASON_PHRASES.update(
    {
        413: "Content Too Large",
        414: "URI Too Long",
        416: "Range Not Satisfiable",
        422: "Unprocessable Content",
        425: "Too Early",
    }
)


def reason_phrase(status_code: int) -> str:
    """The standard reason phrase for ``status_code``, or a generic one for unregistered codes."""
    phrase = REASON_PHRASES.get(status_code)
    if phrase is not None:
        return phrase
    return {1: "Informational", 2: "Success", 3: "Redirection", 4: "Client Error"}.get(
        status_code // 100, "Server Error"
    )
