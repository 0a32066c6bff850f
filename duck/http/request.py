"""The HTTP request: pure data built by a front door (duck's server, WSGI or ASGI) and read by views.

Everything derived from the raw request (query params, cookies, form data, JSON) is parsed
lazily on first access and cached, so a view pays only for what it reads. Parse errors are
:class:`~duck.exceptions.BadRequest` (400) or :class:`~duck.exceptions.RequestEntityTooLarge` (413).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, MutableMapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from duck.conf import settings
from duck.exceptions import BadRequest, DisallowedHost, RequestEntityTooLarge
from duck.http.body import CHUNK_SIZE, SpooledBody
from duck.http.cookies import parse_cookie
from duck.http.datastructures import Headers, MultiDict
from duck.http.query import parse_qs

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from duck.http.uploadedfile import UploadedFile
    from duck.urls import ResolverMatch

# host = reg-name / IPv4 / "[" IPv6 "]", with an optional port (RFC 3986 §3.2.2).
_HOST_RE = re.compile(r"^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::(\d{1,5}))?$")
# Characters a path may keep as they are (RFC 3986 pchar and "/"); anything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_UNSAFE_PATH_RE = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=._~-]")
_DEBUG_HOSTS = ("localhost", ".localhost", "127.0.0.1", "[::1]")

# Attributes that higher layers give every request, computed on each access by a factory
# (duck.db provides ``db`` and ``async_db``): this module stays free of what they are.
_provided_attributes: dict[str, Callable[[Request], Any]] = {}


def provide_request_attribute(name: str, factory: Callable[[Request], Any]) -> None:
    """Make ``request.<name>`` call ``factory(request)`` (for a layer above ``duck.http``)."""
    _provided_attributes[name] = factory


class Request:
    """An HTTP request (or the upgrade request of a WebSocket).

    Attributes:
        method: upper-case method, e.g. ``"GET"``.
        path: the percent-decoded path, e.g. ``"/items/3"``.
        query_string: the raw query string, without ``?``.
        headers: case-insensitive :class:`~duck.http.datastructures.Headers`.
        client: ``(host, port)`` of the peer, or None when unknown.
        scheme: ``"http"``/``"https"`` (``"ws"``/``"wss"`` are reported as http/https).
        path_params: the converted URL parameters of the matched route.
        resolver_match: the :class:`~duck.urls.ResolverMatch`, set by the dispatcher.
        websocket: the dwebsocket-style WebSocket of an upgraded request, else None.
        db: this request's sync database session (:mod:`duck.db`), opened on first use.
        async_db: this request's async database session, opened on first use.
    """

    if TYPE_CHECKING:  # provided by duck.db (see provide_request_attribute)
        db: Session
        async_db: AsyncSession
        # set by SessionMiddleware, AuthenticationMiddleware, CsrfViewMiddleware (layers above this one)
        session: Any
        user: Any
        auth: str | None
        csrf_token: str

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query_string: str = "",
        headers: Headers | None = None,
        body: bytes | SpooledBody = b"",
        client: tuple[str, int] | None = None,
        server: tuple[str, int] | None = None,
        scheme: str = "http",
        http_version: str = "1.1",
        root_path: str = "",
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.query_string = query_string
        self.headers = headers if headers is not None else Headers()
        self._body = body
        self.client = client
        self.server = server
        self.scheme = "https" if scheme in ("https", "wss") else "http"
        self.http_version = http_version
        self.root_path = root_path
        self.path_params: dict[str, Any] = {}
        self.resolver_match: ResolverMatch | None = None
        self.websocket: Any = None
        self.scope: MutableMapping[str, Any] | None = scope

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.get_full_path()!r}>"

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes the instance lacks: the provided ones, or a real AttributeError.
        factory = _provided_attributes.get(name)
        if factory is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return factory(self)

    # -- URL ----------------------------------------------------------------------------
    def get_full_path(self) -> str:
        path = self.path
        if _UNSAFE_PATH_RE.search(path) is not None:  # the usual path needs no quoting: skip quote()
            path = quote(path, safe=_PATH_SAFE)
        return f"{path}?{self.query_string}" if self.query_string else path

    @cached_property
    def host(self) -> str:
        """The validated host (with port when not the default), from ``Host`` or the server address.

        Raises:
            DisallowedHost: a malformed host or one not in ``ALLOWED_HOSTS``.
        """
        raw = self.headers.get("host")
        if raw is None:
            if self.server is None:
                raise DisallowedHost("The request has no Host header.")
            raw = f"{self.server[0]}:{self.server[1]}"
        host = raw.strip().lower()
        match = _HOST_RE.match(host)
        if match is None:
            raise DisallowedHost(f"Invalid Host header: {raw[:100]!r}.")
        domain = match.group(1)
        if not _host_allowed(domain.rstrip(".")):
            raise DisallowedHost(f"Invalid Host header: {raw[:100]!r}. Add {domain!r} to ALLOWED_HOSTS.")
        return host

    def get_host(self) -> str:
        return self.host

    def is_secure(self) -> bool:
        return self.scheme == "https"

    def build_absolute_uri(self, location: str | None = None) -> str:
        base = f"{self.scheme}://{self.host}{self.get_full_path()}"
        return base if location is None else urljoin(base, location)

    @property
    def url(self) -> str:
        return self.build_absolute_uri()

    # -- query and headers -----------------------------------------------------------------
    @cached_property
    def GET(self) -> MultiDict[str]:  # noqa: N802 - Django's name, kept for users migrating
        return parse_qs(self.query_string, max_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)

    @property
    def query_params(self) -> MultiDict[str]:
        """The query string as a multi-dict (Starlette's name for ``GET``)."""
        return self.GET

    @cached_property
    def COOKIES(self) -> dict[str, str]:  # noqa: N802
        return parse_cookie("; ".join(self.headers.getlist("cookie")))

    @property
    def cookies(self) -> dict[str, str]:
        return self.COOKIES

    @cached_property
    def _content_type(self) -> tuple[str, dict[str, str]]:
        from duck.http.multipart import parse_options_header

        return parse_options_header(self.headers.get("content-type", ""))

    @property
    def content_type(self) -> str:
        """The media type of the body without parameters, e.g. ``"application/json"``."""
        return self._content_type[0]

    @property
    def charset(self) -> str:
        return self._content_type[1].get("charset") or settings.DEFAULT_CHARSET

    # -- body --------------------------------------------------------------------------------
    @property
    def body(self) -> bytes:
        """The raw body. Above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (multipart excluded) it is refused with 413.

        A large body waits in a temporary file (see :class:`~duck.http.body.SpooledBody`) and is
        read into memory only here, once, within that limit.
        """
        body = self._body
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(body) > limit and self.content_type != "multipart/form-data":
            raise RequestEntityTooLarge(f"Request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE ({limit} bytes).")
        if isinstance(body, SpooledBody):
            return body.read()
        return body

    async def stream(self, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The body in pieces of at most ``chunk_size`` bytes, whatever its size (``async for``).

        ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply: a body larger than that waits on disk and is
        read back a piece at a time, so a view can take a 1 GiB upload in a few MiB of memory (up to
        ``SERVER_MAX_BODY_SIZE``). Each call starts from the beginning of the body.
        """
        body = self._body
        if isinstance(body, SpooledBody):
            for piece in body.chunks(chunk_size):
                yield piece
        else:
            for start in range(0, len(body), chunk_size):
                yield body[start : start + chunk_size]

    def json(self) -> Any:
        """The body decoded as JSON.

        Raises:
            BadRequest: the body is empty or not valid JSON.
        """
        body = self.body
        if not body:
            raise BadRequest("Expected a JSON body, got an empty one.")
        try:
            return json.loads(body.decode(self._content_type[1].get("charset") or "utf-8"))
        except (UnicodeDecodeError, LookupError, ValueError) as exc:
            raise BadRequest(f"Malformed JSON body: {exc}") from None

    @cached_property
    def _form(self) -> tuple[MultiDict[str], MultiDict[UploadedFile]]:
        content_type = self.content_type
        if content_type == "application/x-www-form-urlencoded":
            fields = parse_qs(self.body, max_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, charset=self.charset)
            return fields, MultiDict()
        if content_type == "multipart/form-data":
            from duck.http.multipart import parse_multipart

            body = self._body
            return parse_multipart(
                body.chunks() if isinstance(body, SpooledBody) else body,
                self.headers.get("content-type", ""),
                charset=self.charset,
                max_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                max_memory_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                spool_limit=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
                temp_dir=settings.FILE_UPLOAD_TEMP_DIR,
            )
        return MultiDict(), MultiDict()

    @property
    def POST(self) -> MultiDict[str]:  # noqa: N802
        """Form fields of a urlencoded or multipart body (empty for other content types)."""
        return self._form[0]

    @property
    def form(self) -> MultiDict[str]:
        return self._form[0]

    @property
    def FILES(self) -> MultiDict[UploadedFile]:  # noqa: N802
        """Uploaded files of a multipart body, spooled to disk above ``FILE_UPLOAD_MAX_MEMORY_SIZE``."""
        return self._form[1]

    def close(self) -> None:
        """Release the body and uploaded files' temporary storage; front doors call it after the response."""
        if isinstance(self._body, SpooledBody):
            self._body.close()
        if "_form" in self.__dict__:
            for _, upload in self._form[1].multi_items():
                upload.close()

    # -- WebSocket ---------------------------------------------------------------------------
    def is_websocket(self) -> bool:
        """True for a WebSocket (an upgrade request, or one already upgraded)."""
        if self.websocket is not None:
            return True
        upgrade = self.headers.get("upgrade")
        if upgrade is None or upgrade.lower() != "websocket":
            return False
        connection = self.headers.get("connection", "")
        return any(token.strip().lower() == "upgrade" for token in connection.split(","))


# Hosts allowed whatever ALLOWED_HOSTS says: the test clients' "testserver" while tests run
# (duck.test.setup_test_environment), as Django's test runner allows it. Empty in production.
TEST_HOSTS: set[str] = set()


def _host_allowed(domain: str) -> bool:
    allowed = settings.ALLOWED_HOSTS
    if not allowed and settings.DEBUG:
        allowed = _DEBUG_HOSTS
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or domain == pattern:
            return True
        if pattern.startswith(".") and (domain.endswith(pattern) or domain == pattern[1:]):
            return True
    return domain in TEST_HOSTS
