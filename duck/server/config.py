"""What one running server shares between its connections: limits read once, the Date cache, the registry.

Settings are read once when a :class:`~duck.server.server.Server` starts (``ServerConfig.from_settings``)
so the per-request path never touches the settings object.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Protocol

from duck.conf import ENVIRONMENT_VARIABLE, global_settings, settings
from duck.exceptions import ImproperlyConfigured
from duck.http.body import memory_limit_setting
from duck.http.upgrade import UpgradedProtocol
from duck.server.access_log import AccessLog


@dataclass(frozen=True)
class ServerConfig:
    """The ``SERVER_*`` settings, snapshotted (see ``duck/conf/global_settings.py`` for each reason)."""

    max_body_size: int = global_settings.SERVER_MAX_BODY_SIZE
    max_head_size: int = global_settings.SERVER_MAX_HEAD_SIZE
    max_url_length: int = global_settings.SERVER_MAX_URL_LENGTH
    max_headers: int = global_settings.SERVER_MAX_HEADERS
    keepalive_timeout: float = global_settings.SERVER_KEEPALIVE_TIMEOUT
    head_timeout: float = global_settings.SERVER_HEAD_TIMEOUT
    body_min_rate: float = global_settings.SERVER_BODY_MIN_RATE
    body_rate_grace: float = global_settings.SERVER_BODY_RATE_GRACE
    max_connections: int = global_settings.SERVER_MAX_CONNECTIONS
    shutdown_timeout: float = global_settings.SERVER_SHUTDOWN_TIMEOUT
    server_header: bytes = global_settings.SERVER_HEADER.encode("latin-1")
    access_log: bool = global_settings.SERVER_ACCESS_LOG
    http_parser: str = global_settings.SERVER_HTTP_PARSER
    write_high_water: int = global_settings.SERVER_WRITE_HIGH_WATER
    linger_timeout: float = global_settings.SERVER_LINGER_TIMEOUT
    linger_max_bytes: int = global_settings.SERVER_LINGER_MAX_BYTES
    # A body larger than this is spooled to a temporary file as it arrives (DATA_UPLOAD_MAX_MEMORY_SIZE).
    body_memory_limit: int = global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    upload_temp_dir: str | os.PathLike[str] | None = global_settings.FILE_UPLOAD_TEMP_DIR
    ssl_handshake_timeout: float = global_settings.SERVER_SSL_HANDSHAKE_TIMEOUT

    @classmethod
    def from_settings(cls) -> ServerConfig:
        """Read the ``SERVER_*`` settings; unconfigured settings (no module, no configure()) give the defaults."""
        if not settings.configured and not os.environ.get(ENVIRONMENT_VARIABLE):
            return cls()
        return cls(
            max_body_size=int(settings.SERVER_MAX_BODY_SIZE),
            max_head_size=int(settings.SERVER_MAX_HEAD_SIZE),
            max_url_length=int(settings.SERVER_MAX_URL_LENGTH),
            max_headers=int(settings.SERVER_MAX_HEADERS),
            keepalive_timeout=float(settings.SERVER_KEEPALIVE_TIMEOUT),
            head_timeout=float(settings.SERVER_HEAD_TIMEOUT),
            body_min_rate=float(settings.SERVER_BODY_MIN_RATE),
            body_rate_grace=float(settings.SERVER_BODY_RATE_GRACE),
            max_connections=int(settings.SERVER_MAX_CONNECTIONS),
            shutdown_timeout=float(settings.SERVER_SHUTDOWN_TIMEOUT),
            server_header=str(settings.SERVER_HEADER or "").encode("latin-1"),
            access_log=bool(settings.SERVER_ACCESS_LOG),
            http_parser=_http_parser(settings.SERVER_HTTP_PARSER),
            write_high_water=int(settings.SERVER_WRITE_HIGH_WATER),
            linger_timeout=float(settings.SERVER_LINGER_TIMEOUT),
            linger_max_bytes=int(settings.SERVER_LINGER_MAX_BYTES),
            body_memory_limit=memory_limit_setting(),
            upload_temp_dir=settings.FILE_UPLOAD_TEMP_DIR,
            ssl_handshake_timeout=float(settings.SERVER_SSL_HANDSHAKE_TIMEOUT),
        )


def _http_parser(name: str) -> str:
    """``SERVER_HTTP_PARSER``, checked: httptools must be importable to be chosen."""
    if name == "httptools":
        try:
            import httptools  # noqa: F401
        except ImportError:
            raise ImproperlyConfigured(
                "SERVER_HTTP_PARSER = 'httptools' needs the httptools package: pip install httptools, "
                "or set SERVER_HTTP_PARSER = 'h11'."
            ) from None
    return name


class DateHeader:
    """The ``Date`` header value (RFC 9110 §6.6.1), formatted at most once per second.

    The second is checked lazily on each use: one ``time.time()`` call instead of a timer, and no
    ``strftime`` per request.
    """

    __slots__ = ("_block", "_headers", "_second", "_server")

    def __init__(self, server_header: bytes = b"") -> None:
        self._second = -1
        self._server = server_header
        self._headers: list[tuple[bytes, bytes]] = []
        self._block = b""

    def _refresh(self) -> None:
        second = int(time.time())
        if second != self._second:
            self._second = second
            headers = [(b"date", formatdate(second, usegmt=True).encode("ascii"))]
            if self._server:
                headers.append((b"server", self._server))
            self._headers = headers
            self._block = b"".join(name + b": " + value + b"\r\n" for name, value in headers)

    def current(self) -> list[tuple[bytes, bytes]]:
        """``[(b"date", ...), (b"server", ...)]`` for a response sent now (the server pair only if set)."""
        self._refresh()
        return self._headers

    def block(self) -> bytes:
        """The same fields as header lines, ``b"date: ...\\r\\nserver: duck\\r\\n"``, ready to send."""
        self._refresh()
        return self._block


class ServedConnection(Protocol):
    """What the server asks of every connection it keeps (HTTP, or the protocol an upgrade made).

    Optional: ``task`` (the request in flight, awaited by graceful shutdown) and
    ``eviction_rank(now)`` / ``evict()`` (whether it may give its slot up when the server is full).
    """

    def shutdown(self) -> None: ...


class WaitingConnection(Protocol):
    """A connection accepted while the server was full, waiting for a slot (``ServerState.waiting``)."""

    def admit(self) -> None: ...

    def shutdown(self) -> None: ...


@dataclass
class ServerState:
    """Shared by every connection of one server.

    Attributes:
        config: the limits, read once at start.
        handler: any object with ``async handle(request) -> HttpResponse``.
        scheme: ``"https"`` when the server speaks TLS, else ``"http"`` (every request's ``scheme``).
        connections: transport -> protocol now driving it. Every protocol removes itself when its
            connection is lost; an upgrade replaces the HTTP protocol with the new one, which is
            told how to remove itself (``on_released``), so graceful shutdown can call its
            ``shutdown()``. A protocol's ``task`` attribute, when present, is its request in flight
            (awaited by graceful shutdown).
        waiting: connections accepted while every slot was taken by some not read yet, oldest
            first (a dict for O(1) removal); not counted in the limit (``wait_for_room``).
    """

    config: ServerConfig
    handler: Any
    scheme: str = "http"
    connections: dict[asyncio.BaseTransport, ServedConnection] = field(default_factory=dict)
    waiting: dict[WaitingConnection, None] = field(default_factory=dict)
    date: DateHeader = field(init=False)
    _admitting: bool = field(default=False, init=False, repr=False)
    _access_log: AccessLog | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.date = DateHeader(self.config.server_header)

    @property
    def access_log(self) -> AccessLog:
        """The server's batched access log, on the loop it serves from (made on first use)."""
        if self._access_log is None:
            self._access_log = AccessLog(asyncio.get_running_loop())
        return self._access_log

    def upgrade(self, transport: asyncio.BaseTransport, protocol: UpgradedProtocol) -> None:
        """Record that ``transport`` is now driven by ``protocol`` (a WebSocket, after an upgrade)."""
        self.connections[transport] = protocol
        connections = self.connections

        def released() -> None:
            connections.pop(transport, None)

        protocol.on_released = released

    def in_flight(self) -> list[asyncio.Task[Any]]:
        """The tasks answering requests right now (graceful shutdown waits for them)."""
        tasks = []
        for protocol in self.connections.values():
            task = getattr(protocol, "task", None)
            if task is not None and not task.done():
                tasks.append(task)
        return tasks

    def make_room(self, now: float) -> bool:
        """At the connection limit, evict the connection that gives way most readily; False if none may.

        O(connections), paid only when the server is full. See ``phases.eviction_rank`` for the order.
        """
        victim: Any = None
        lowest = None
        for protocol in self.connections.values():
            rank_of = getattr(protocol, "eviction_rank", None)
            rank = rank_of(now) if rank_of is not None else None
            if rank is not None and (lowest is None or rank < lowest):
                victim, lowest = protocol, rank
        if victim is None:
            return False
        self.connections.pop(victim.transport, None)
        victim.evict()
        return True

    def has_room(self, now: float) -> bool:
        """Whether one more connection may be kept now, evicting one to make room if the server is full."""
        return len(self.connections) < self.config.max_connections or self.make_room(now)

    def wait_for_room(self, connection: WaitingConnection) -> bool:
        """Let ``connection`` (no room for it) wait for a slot if a slot holder has not been read yet.

        Connections accepted in one burst are all made before any of them is read, so a request
        that is already there looks like a client that sent nothing (kept ``NEW_CONNECTION_GRACE``):
        refusing the newcomer then would judge it on bytes the server has not read. When nothing
        held is unread, waiting cannot help and the caller refuses (503). At most as many
        connections wait as there are slots.
        """
        if len(self.waiting) >= self.config.max_connections:
            return False
        if not any(getattr(held, "unread", False) for held in self.connections.values()):
            return False
        self.waiting[connection] = None
        return True

    def admit_waiting(self, now: float) -> None:
        """A slot holder was read or left: let waiting connections in, oldest first, while room can be made."""
        if self._admitting:
            return  # an admitted connection reading its backlog: the loop below goes on once it is done
        self._admitting = True
        try:
            while self.waiting and self.has_room(now):
                connection = next(iter(self.waiting))
                del self.waiting[connection]
                connection.admit()
        finally:
            self._admitting = False
