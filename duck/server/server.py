"""A listening server: bind, accept into :class:`HttpProtocol`, startup banner, graceful shutdown.

Graceful shutdown (SIGINT/SIGTERM, or :meth:`Server.stop`): stop accepting; close idle connections;
call ``shutdown()`` on upgraded protocols (a WebSocket sends close 1001); let requests in flight finish
for up to ``SERVER_SHUTDOWN_TIMEOUT``; run the ``on_shutdown`` hooks; cancel background tasks; close
the database connections; then cut whatever is left.
A second signal skips the wait.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import os
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Literal, cast

from duck.conf import ENVIRONMENT_VARIABLE, settings
from duck.core.lifecycle import close_databases
from duck.exceptions import ServerError
from duck.server.config import ServerConfig, ServerState
from duck.server.protocol import HttpProtocol
from duck.server.tls import create_ssl_context, tls_options
from duck.utils.asyncio import set_server_loop, shutdown_tasks

logger = logging.getLogger("duck.server")

Hook = Callable[[], Awaitable[Any]]
# Pending connections the kernel queues for us; a burst of new clients waits here instead of being refused.
_BACKLOG = 2048
# Seconds a TLS connection waits for the client's close_notify after ours before the socket is dropped.
_SSL_SHUTDOWN_TIMEOUT = 5.0


class Server:
    """duck's HTTP/1.1 server on one event loop.

    Args:
        handler: any object with ``async handle(request) -> HttpResponse`` (usually ``duck.core.handler.Handler``).
        host, port: where to listen, unless ``sock`` (an already bound socket, e.g. shared by workers) is given.
        sock: a bound listening socket; the server owns and closes it.
        ssl: serve TLS (https://, wss://) with this context; None reads ``SERVER_CERTFILE`` and
            ``SERVER_KEYFILE`` at start (plain HTTP when they are not set), False forces plain HTTP.
        workers: only shown in the banner.
        install_signals: stop gracefully on SIGINT/SIGTERM (only from the main thread).
        announce: log the startup banner (a worker logs one short line instead).

    Attributes:
        on_startup: async callables awaited once listening, before the banner.
        on_shutdown: async callables awaited after requests in flight finished (cancel background tasks here).
    """

    def __init__(
        self,
        handler: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        sock: socket.socket | None = None,
        ssl: ssl.SSLContext | Literal[False] | None = None,
        workers: int = 1,
        install_signals: bool = False,
        announce: bool = True,
    ) -> None:
        self.handler = handler
        self.ssl = ssl
        self.host = host
        self.port = port
        self.sock = sock
        self.workers = workers
        self.install_signals = install_signals
        self.announce = announce
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []
        self.state: ServerState | None = None
        self._server: asyncio.AbstractServer | None = None
        self._stop: asyncio.Event | None = None
        self._force = False
        self._signals: list[int] = []
        self._bound: tuple[str, int] | None = None

    def __repr__(self) -> str:
        return f"<Server {self.url}>"

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually listened on (the real port when 0 was asked)."""
        if self._bound is not None:
            return self._bound
        sockets = getattr(self._server, "sockets", None)  # asyncio.Server has them, AbstractServer does not say
        if sockets:
            name = sockets[0].getsockname()
            return (str(name[0]), int(name[1]))
        if self.sock is not None:
            name = self.sock.getsockname()
            return (str(name[0]), int(name[1]))
        return (self.host, self.port)

    @property
    def url(self) -> str:
        host, port = self.address
        return format_url(host, port, self.scheme)

    @property
    def scheme(self) -> str:
        """``"https"`` when serving TLS, else ``"http"`` (known once started, or when given a context)."""
        if self.state is not None:
            return self.state.scheme
        return "https" if isinstance(self.ssl, ssl.SSLContext) else "http"

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Read the settings, start listening and run the startup hooks.

        Raises:
            ServerError: the address cannot be bound (port in use, unknown host, permission).
            ImproperlyConfigured: the TLS certificate or key cannot be used.
        """
        loop = asyncio.get_running_loop()
        config = ServerConfig.from_settings()
        try:
            context = self._ssl_context()
        except BaseException:
            if self.sock is not None:
                self.sock.close()
            raise
        self.state = ServerState(config, self.handler, scheme="http" if context is None else "https")
        self._stop = asyncio.Event()
        factory = functools.partial(HttpProtocol, self.state)
        options: dict[str, Any] = {"backlog": _BACKLOG}
        if context is not None:
            options.update(ssl=context, ssl_handshake_timeout=config.ssl_handshake_timeout)
            if sys.version_info >= (3, 11):  # asyncio's loop accepts it from 3.11 (uvloop always does)
                options["ssl_shutdown_timeout"] = _SSL_SHUTDOWN_TIMEOUT
        try:
            if self.sock is not None:
                self._server = await loop.create_server(factory, sock=self.sock, **options)
            else:
                self._server = await loop.create_server(factory, self.host, self.port, reuse_address=True, **options)
        except OSError as exc:
            if self.sock is not None:
                self.sock.close()
            raise ServerError(bind_error_message(self.host, self.port, exc)) from exc
        self._bound = self.address
        set_server_loop(loop)  # create_task() from sync code schedules here; server-owned tasks live here
        try:
            for hook in self.on_startup:
                await hook()
        except BaseException:
            self._server.close()  # a failed start must not leave a socket accepting connections
            self._server = None
            raise
        if self.install_signals:
            self._install_signal_handlers(loop)
        if self.announce:
            logger.info("%s", banner(self.url, self.workers), extra={"duck_banner": True})
        else:
            logger.info("Process %d serving at %s", os.getpid(), self.url)

    def stop(self) -> None:
        """Ask for a graceful shutdown (call from the loop's thread); a second call skips the wait."""
        if self._stop is None:
            return
        if self._stop.is_set():
            self._force = True
            logger.warning("Second stop request: closing connections now.")
        self._stop.set()

    async def serve(self, ready: asyncio.Event | None = None) -> None:
        """Start, set ``ready``, serve until :meth:`stop` (or a signal, or cancellation), then shut down."""
        await self.start()
        assert self._stop is not None
        if ready is not None:
            ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        """Stop accepting, drain requests in flight (up to SERVER_SHUTDOWN_TIMEOUT), run on_shutdown, close."""
        state = self.state
        if state is None or self._server is None:
            return
        logger.info(
            "Shutting down %s (waiting up to %gs for requests in flight)", self.url, state.config.shutdown_timeout
        )
        loop = asyncio.get_running_loop()
        self._server.close()
        for protocol in [*state.connections.values(), *state.waiting]:  # the waiting ones close at once
            shutdown = getattr(protocol, "shutdown", None)
            if shutdown is not None:
                try:
                    shutdown()
                except Exception:
                    logger.exception("Error in %r.shutdown()", protocol)
        deadline = loop.time() + state.config.shutdown_timeout
        await self._drain(state, deadline)
        for hook in self.on_shutdown:
            try:
                await asyncio.wait_for(hook(), max(0.1, deadline - loop.time()))
            except Exception:
                logger.exception("Error in shutdown hook %r", hook)
        await shutdown_tasks()  # background tasks owned by the server: cancelled, awaited with a timeout
        await close_databases()  # nothing uses them any more (stragglers past the timeout reconnect, or fail)
        set_server_loop(None)
        for task in state.in_flight():
            task.cancel()
        for transport in list(state.connections):
            cast(asyncio.Transport, transport).abort()
        state.access_log.flush()
        state.connections.clear()
        self._remove_signal_handlers(loop)
        server, self._server = self._server, None
        try:  # on Python >= 3.12.1 this also waits for the aborted connections to be released
            await asyncio.wait_for(server.wait_closed(), 1.0)
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(0)  # let the transports run connection_lost and release their sockets
        logger.info("Server at %s stopped.", self.url)

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.ssl is False:
            return None
        if isinstance(self.ssl, ssl.SSLContext):
            return self.ssl
        options = tls_options()
        return None if options is None else create_ssl_context(options)

    async def _drain(self, state: ServerState, deadline: float) -> None:
        """Wait until no request is in flight and every connection has closed, or the deadline passes."""
        loop = asyncio.get_running_loop()
        while not self._force and loop.time() < deadline:
            tasks = state.in_flight()
            if tasks:
                await asyncio.wait(tasks, timeout=min(0.05, max(0.0, deadline - loop.time())))
                continue
            if not state.connections:
                return
            await asyncio.sleep(0.02)  # upgraded protocols closing (no event to await for them)

    # -- signals -------------------------------------------------------------------------------
    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.stop)
            except (NotImplementedError, RuntimeError):  # Windows, or a loop without signal support
                return
            self._signals.append(signum)

    def _remove_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        while self._signals:
            loop.remove_signal_handler(self._signals.pop())


def format_url(host: str, port: int, scheme: str = "http") -> str:
    """``http://host:port/`` (or ``https://``), with IPv6 hosts in brackets (RFC 3986 §3.2.2)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/"


def banner(url: str, workers: int = 1) -> str:
    """The startup banner: URL, settings module, DEBUG and workers (works with unconfigured settings)."""
    try:
        if not settings.configured and not os.environ.get(ENVIRONMENT_VARIABLE):
            raise LookupError("settings not configured")
        module = settings.SETTINGS_MODULE or "(configured in code)"
        debug = str(bool(settings.DEBUG))
    except Exception:
        module, debug = "(not configured)", "False"
    return (
        f"duck server running at {url}\n"
        f"  settings: {module}\n"
        f"  DEBUG: {debug}\n"
        f"  workers: {workers}\n"
        f"Quit with CONTROL-C."
    )


def bind_error_message(host: str, port: int, exc: OSError) -> str:
    """One line saying why ``host:port`` cannot be listened on and what to do."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} is already in use on {host}; stop the other server or pick another port."
    if exc.errno == errno.EACCES:
        return f"Permission denied to listen on {where}; ports below 1024 need privileges, pick a higher one."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"Cannot listen on {where}: {host} is not an address of this machine."
    if isinstance(exc, socket.gaierror):
        return f"Cannot listen on {where}: unknown host {host!r}."
    return f"Cannot listen on {where}: {exc.strerror or exc}."


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, inheritable so forked workers can share it.

    Raises:
        ServerError: the address cannot be bound.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ServerError(bind_error_message(host, port, exc)) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(_BACKLOG)
        sock.setblocking(False)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        raise ServerError(bind_error_message(host, port, exc)) from exc
    return sock
