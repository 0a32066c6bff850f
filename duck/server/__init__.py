"""duck's own HTTP/1.1 server (the engine of ``duck runserver``): asyncio + h11, workers, reload.

Entry points:

* :func:`run` — blocking, for the CLI: binds, prints the banner, serves until SIGINT/SIGTERM.
* :func:`serve` — a coroutine, for tests and embedding: serves on the running loop.
* :class:`Server` — the object behind both, with ``on_startup``/``on_shutdown`` hooks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, Literal

from duck.exceptions import ServerError
from duck.server.access_log import DEFAULT_FORMAT, mark_default_handler
from duck.server.config import ServerConfig
from duck.server.protocol import HttpProtocol
from duck.server.reload import is_reloader_child, run_with_reloader
from duck.server.server import Server, banner, bind_socket, format_url
from duck.server.tls import create_ssl_context, tls_options
from duck.server.workers import WorkerSupervisor

__all__ = ["HttpProtocol", "Server", "ServerConfig", "ServerError", "run", "serve"]

logger = logging.getLogger("duck.server")


async def serve(
    handler: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    sock: socket.socket | None = None,
    ssl: ssl.SSLContext | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve ``handler`` on the running loop until cancelled (then shut down gracefully).

    Args:
        handler: any object with ``async handle(request) -> HttpResponse``.
        host, port: where to listen, unless ``sock`` (a bound socket, owned by the server) is given.
        ssl: serve TLS with this context; None follows ``SERVER_CERTFILE``/``SERVER_KEYFILE``.
        ready: set once the server accepts connections.

    Raises:
        ServerError: the address cannot be bound.
        ImproperlyConfigured: the TLS certificate or key cannot be used.
    """
    await Server(handler, host, port, sock=sock, ssl=ssl).serve(ready)


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 1,
    reload: bool = False,
    handler: Any = None,
    certfile: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    warnings: Sequence[str] = (),
) -> None:
    """Run duck's server in the foreground until SIGINT/SIGTERM.

    Args:
        host, port: where to listen (port 0 picks a free one, shown in the banner).
        workers: processes sharing the port; above 1 a supervisor restarts any worker that dies.
        reload: restart the server when a ``.py``/``.html`` file under the current folder changes.
        handler: the request handler; when None, the project's (``MIDDLEWARE``, then development static
            serving when ``SERVE_STATIC``/DEBUG say so).
        certfile, keyfile: serve https:// and wss:// with this PEM certificate chain and key (the key
            may be in ``certfile``); when not given, ``SERVER_CERTFILE``/``SERVER_KEYFILE`` decide.
        warnings: lines printed under the banner, once the server is bound (unapplied migrations).

    Raises:
        ServerError: the server cannot start (port in use, bad address, workers failing at startup).
        ImproperlyConfigured: the TLS certificate or key cannot be used (checked before binding).
    """
    if workers < 1:
        raise ServerError(f"The number of workers must be at least 1, not {workers}.")
    configure_logging()
    if reload and not is_reloader_child():
        run_with_reloader(shutdown_timeout=_shutdown_timeout())
        return
    options = tls_options(certfile, keyfile)
    # Built once, before binding and forking: a bad certificate stops here, and workers inherit the context.
    context: ssl.SSLContext | Literal[False] = False if options is None else create_ssl_context(options)
    sock = bind_socket(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    url = format_url(bound_host, bound_port, "http" if context is False else "https")
    text = "\n".join([banner(url, workers), *(f"Warning: {line}" for line in warnings)])
    if workers == 1:
        server = _project_server(handler, sock, workers, context)
        _announce(text)
        run_async(server.serve())
        return
    _announce(text)
    target = _worker_target(handler, workers, context)
    WorkerSupervisor(sock, workers, target, _shutdown_timeout()).run()


def _shutdown_timeout() -> float:
    try:
        return ServerConfig.from_settings().shutdown_timeout
    except Exception:  # broken settings are reported by the serving process, not by its parent
        return ServerConfig().shutdown_timeout


def _announce(text: str) -> None:
    logger.info("%s", text, extra={"duck_banner": True})
    print(text, flush=True)


def _worker_target(handler: Any, workers: int, context: ssl.SSLContext | Literal[False]) -> Any:
    def serve_worker(sock: socket.socket) -> int:
        run_async(_project_server(handler, sock, workers, context).serve())
        return 0

    return serve_worker


def _project_server(
    handler: Any, sock: socket.socket, workers: int, context: ssl.SSLContext | Literal[False]
) -> Server:
    """The server of one serving process, with the project's ON_STARTUP / ON_SHUTDOWN hooks."""
    from duck.core.lifecycle import run_shutdown_hooks, run_startup_hooks

    server = Server(
        handler or _default_handler(), sock=sock, ssl=context, workers=workers, install_signals=True, announce=False
    )
    server.on_startup.append(run_startup_hooks)
    server.on_shutdown.append(run_shutdown_hooks)
    return server


def _default_handler() -> Any:
    from duck.core.handler import get_handler
    from duck.staticfiles.middleware import StaticFilesMiddleware

    # Development static serving is an ordinary middleware that takes itself out when it is off.
    return get_handler(inner_middleware=[StaticFilesMiddleware])


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion on a new loop: uvloop's when installed, asyncio's otherwise.

    uvloop is chosen here only, never on import, so importing duck changes no global loop policy.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return uvloop.run(coro)  # pragma: no cover - Python 3.10


def configure_logging() -> None:
    """Send duck's INFO logs (access log, workers, shutdown) to stderr unless logging is configured already.

    The banner is printed to stdout by :func:`run`, so its log record is filtered out here.
    """
    duck_logger = logging.getLogger("duck")
    if duck_logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(DEFAULT_FORMAT))
    mark_default_handler(handler)  # the access log may then write its batched lines straight to it
    handler.addFilter(lambda record: not getattr(record, "duck_banner", False))
    duck_logger.addHandler(handler)
    if duck_logger.level == logging.NOTSET:
        duck_logger.setLevel(logging.INFO)
