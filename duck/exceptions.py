"""The one exception tree of duck.

Every error duck raises on purpose lives here, so that one ``except`` clause can
catch a whole family and so that each boundary (core dispatcher, server,
WebSocket connection) translates them in exactly one place::

    DuckError
    ├── ImproperlyConfigured          bad settings / bad URL conf: fix the project
    ├── MiddlewareNotUsed             raised by a middleware's __init__: leave it out of the chain
    ├── NoReverseMatch                reverse() found no route (lists what it tried)
    ├── ViewReturnedInvalidResponse   a view returned None or a non-response (-> 500)
    ├── RequestSessionClosed          request.db used after its request was answered
    ├── BadSignature                  a signed value was tampered with (duck.utils.signing)
    │   └── SignatureExpired          ...or is older than the max_age it was checked with
    ├── ServerError                   duck's server cannot start or keep running (one line for the CLI)
    ├── CommandError                  a ``duck`` command cannot do what was asked (one line for the CLI)
    ├── MigrationError                a migration command failed (the schema is as it was)
    ├── HttpError                     the client's fault or a refusal; carries ``status_code``
    │   ├── BadRequest                          400
    │   │   └── SuspiciousOperation             400
    │   │       └── DisallowedHost              400
    │   ├── InvalidHandshake                    400, or the status the WebSocket handshake check chose
    │   ├── NotAuthenticated                    401 (carries WWW-Authenticate)
    │   ├── PermissionDenied                    403
    │   ├── Http404                             404
    │   │   └── Resolver404                     404 (carries ``tried``)
    │   ├── MethodNotAllowed                    405 (carries ``allowed``)
    │   ├── RequestEntityTooLarge               413
    │   ├── URITooLong                          414
    │   ├── RangeNotSatisfiable                 416 (carries ``Content-Range: bytes */size``)
    │   ├── UpgradeRequired                     426 (carries extra headers)
    │   ├── TooManyRequests                     429 (carries Retry-After)
    │   ├── RequestHeaderFieldsTooLarge         431
    │   ├── NotImplementedByServer              501 (an unknown method or transfer coding)
    │   ├── ServiceUnavailable                  503
    │   │   └── DatabaseUnavailable             503 (database unreachable, or no pooled connection in time)
    │   └── HTTPVersionNotSupported             505
    └── WebSocketError
        ├── InvalidMessage              a received message breaks a rule (carries the close ``code``)
        └── ConnectionClosed            send/receive on a closed WebSocket (carries ``code``/``reason``)
            └── WebSocketDisconnect     Starlette/Ravyn name for the same event

HTTP errors carry the status they map to; WebSocket errors carry the close code. The tree is
closed: no other module of duck defines a public exception (tests/test_exceptions.py checks it),
except the test client's own (``duck.test``), which play the part of a client's errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class DuckError(Exception):
    """Base class of every exception raised by duck on purpose."""


class ImproperlyConfigured(DuckError):
    """The project is misconfigured; the message says how to fix it."""


class MiddlewareNotUsed(DuckError):
    """Raised by a middleware factory to leave itself out of the chain (as in Django), e.g. a feature
    that is off in these settings; the chain is rebuilt, and asked again, whenever settings change."""


class NoReverseMatch(DuckError):
    """``reverse()`` could not build a URL; the message lists what was tried."""

    def __init__(self, message: str, tried: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class ViewReturnedInvalidResponse(DuckError):
    """A view returned ``None`` or something that is not a response."""


class RequestSessionClosed(DuckError):
    """``request.db`` / ``request.async_db`` used after the request was answered (open a session instead)."""


class BadSignature(DuckError):
    """A signed value does not carry a valid signature (tampered with, or signed with another key)."""


class SignatureExpired(BadSignature):
    """A signed value is valid but older than the ``max_age`` it was checked with."""


class ServerError(DuckError):
    """duck's server cannot start or keep running: the port is in use, the address is invalid, workers keep dying.

    The message is one line, says what failed and how to fix it, and is meant to be printed as-is.
    """


class MigrationError(DuckError):
    """A migration command failed (the message says why; the schema is as it was)."""


class CommandError(DuckError):
    """A command cannot do what was asked; the message is printed as ``duck: error: <message>``."""


class HttpError(DuckError):
    """An error that maps to an HTTP status sent back to the client.

    The message is short, safe to show to the client, and never includes a traceback.
    """

    status_code: int = 500
    default_message: str = "Internal Server Error"

    def __init__(self, message: str | None = None, *, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.message = message or self.default_message
        self.headers = list(headers)
        super().__init__(self.message)


class BadRequest(HttpError):
    status_code = 400
    default_message = "Bad Request"


class SuspiciousOperation(BadRequest):
    """The request looks like an attack or a client bug; logged, answered with 400."""


class DisallowedHost(SuspiciousOperation):
    """The Host header is not in ALLOWED_HOSTS."""


class InvalidHandshake(HttpError):
    """The WebSocket upgrade request cannot be accepted (RFC 6455 §4.2.1): answered with ``status_code``.

    An ``HttpError`` like any other refusal, so the dispatcher's one exception-to-response place
    answers it, whichever WebSocket face raised it.
    """

    status_code = 400
    default_message = "Bad WebSocket handshake"

    def __init__(self, message: str, status_code: int = 400, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message, headers=headers)
        self.status_code = status_code


class NotAuthenticated(HttpError):
    """Credentials are missing or invalid (401); the response says how to authenticate (RFC 9110 §11.6.1)."""

    status_code = 401
    default_message = "Authentication required"

    def __init__(self, message: str | None = None, *, challenge: str = 'Bearer realm="duck"') -> None:
        super().__init__(message, headers=[("WWW-Authenticate", challenge)])


class PermissionDenied(HttpError):
    status_code = 403
    default_message = "Forbidden"


class Http404(HttpError):
    status_code = 404
    default_message = "Not Found"


class Resolver404(Http404):
    """No URL pattern matched; ``tried`` lists the patterns, for the DEBUG page."""

    def __init__(self, path: str, tried: Sequence[str] = ()) -> None:
        super().__init__("Not Found")
        self.path = path
        # Copied when first read: a 404 that nobody inspects should not cost one item per route.
        self._tried_given = tried
        self._tried: list[str] | None = None

    @property
    def tried(self) -> list[str]:
        if self._tried is None:
            self._tried = list(self._tried_given)
        return self._tried


class MethodNotAllowed(HttpError):
    """The path matched but not with this method; the response carries ``Allow``."""

    status_code = 405
    default_message = "Method Not Allowed"

    def __init__(self, allowed: Iterable[str], message: str | None = None) -> None:
        self.allowed = sorted(set(allowed))
        super().__init__(message, headers=[("Allow", ", ".join(self.allowed))])


class RequestEntityTooLarge(HttpError):
    status_code = 413
    default_message = "Request body too large"


class URITooLong(HttpError):
    status_code = 414
    default_message = "URI Too Long"


class RangeNotSatisfiable(HttpError):
    """No requested byte range overlaps the representation (RFC 9110 §15.5.17).

    ``size`` is the representation's length, announced in ``Content-Range: bytes */size``.
    """

    status_code = 416
    default_message = "Range Not Satisfiable"

    def __init__(self, size: int, message: str | None = None) -> None:
        self.size = size
        super().__init__(message, headers=[("Content-Range", f"bytes */{size}")])


class UpgradeRequired(HttpError):
    status_code = 426
    default_message = "Upgrade Required"


class TooManyRequests(HttpError):
    """Rate limited (429, RFC 6585 §4): ``Retry-After`` says in how many seconds to try again."""

    status_code = 429
    default_message = "Too many attempts; try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, headers=[("Retry-After", str(self.retry_after))])


class RequestHeaderFieldsTooLarge(HttpError):
    status_code = 431
    default_message = "Request Header Fields Too Large"


class ServiceUnavailable(HttpError):
    status_code = 503
    default_message = "Service Unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached, or no pooled connection freed up in time: answered with 503.

    The message is short and safe for clients; the cause (the driver's error) is chained and logged.
    """

    default_message = "The database is unavailable; please try again shortly."


class NotImplementedByServer(HttpError):
    """The request needs something the server does not implement: an unknown method or transfer coding."""

    status_code = 501
    default_message = "Not Implemented"


class HTTPVersionNotSupported(HttpError):
    status_code = 505
    default_message = "HTTP Version Not Supported"


class WebSocketError(DuckError):
    """Base class of WebSocket errors."""


class ConnectionClosed(WebSocketError):
    """The WebSocket is closed; ``code`` and ``reason`` are the close frame's (1006 if none)."""

    def __init__(self, code: int = 1006, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"WebSocket connection is closed (code={code}{', reason=' + repr(reason) if reason else ''})")


class InvalidMessage(WebSocketError):
    """A message the connection must fail on (RFC 6455 §7.1.7): ``code`` is the close code to send.

    Raised by the message assembler (invalid UTF-8: 1007, over the size cap: 1009) and turned
    into a close frame by the connection, in one place.
    """

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{reason} (close code {code})")


class WebSocketDisconnect(ConnectionClosed):
    """Raised by the Starlette/Ravyn-style API when the client has gone (``code`` as sent)."""
