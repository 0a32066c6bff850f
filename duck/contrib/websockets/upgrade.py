"""The one upgrade path of every WebSocket face: ``WebSocketView``, ``@websocket`` and dwebsocket views.

Each face ends its view the same way: it checks the handshake, builds an ``async
handler(connection)`` and answers with :func:`upgrade_response`. The response carries a
:class:`WebSocketUpgrade`, this package's implementation of :class:`duck.http.upgrade.Upgrade`,
the typed contract the front doors call::

    face's view ──check_handshake──► upgrade_response(request, handler, options)
        │  UpgradeResponse(WebSocketUpgrade)
        ├─ duck's server: make_protocol() ─► WebSocketProtocol(request, handler, options)
        └─ ASGI server:   run_asgi(scope, receive, send) ─► ASGIWebSocket ─► handler

The faces are told apart from plain views by one marker, :data:`HANDLES_WEBSOCKETS`, set on
their view callables (and on ``WebSocketView`` itself), which ``WebSocketMiddleware`` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from duck.contrib.websockets.asgi import run_asgi
from duck.contrib.websockets.protocol import WebSocketProtocol
from duck.http.response import UpgradeResponse
from duck.http.upgrade import Receive, Scope, Send

if TYPE_CHECKING:
    from duck.contrib.websockets.connection import ConnectionHandler
    from duck.contrib.websockets.options import ConnectionOptions
    from duck.http.request import Request

__all__ = ["HANDLES_WEBSOCKETS", "WebSocketUpgrade", "handles_websockets", "mark_websocket_view", "upgrade_response"]

V = TypeVar("V")

# The attribute that marks a view (or view class) as answering WebSocket handshakes itself.
HANDLES_WEBSOCKETS = "handles_websockets"


class WebSocketUpgrade:
    """One WebSocket connection to be: its upgrade request, handler and limits.

    Args:
        request: the upgrade request.
        handler: ``async handler(connection)``, run once the front door carries the connection.
        options: the connection's limits and timers.
        on_unused: called if no front door ever carries it (a sync view's reserved thread slot is
            given back this way); once carried, the handler owns what was reserved.
    """

    __slots__ = ("_carried", "_on_unused", "handler", "options", "request")

    def __init__(
        self,
        request: Request,
        handler: ConnectionHandler,
        options: ConnectionOptions,
        on_unused: Callable[[], None] | None = None,
    ) -> None:
        self.request = request
        self.handler = handler
        self.options = options
        self._on_unused = on_unused
        self._carried = False

    def make_protocol(self) -> WebSocketProtocol:
        self._carried = True
        return WebSocketProtocol(self.request, self.handler, self.options)

    async def run_asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._carried = True
        try:
            await run_asgi(self.request, self.handler, self.options, scope, receive, send)
        finally:
            self._give_back()  # the client may have left before websocket.connect: nothing ran

    def release(self) -> None:
        if not self._carried:
            self._give_back()

    def _give_back(self) -> None:
        on_unused, self._on_unused = self._on_unused, None
        if on_unused is not None:
            on_unused()

    def __repr__(self) -> str:
        return f"<WebSocketUpgrade {self.request.path}>"


def upgrade_response(
    request: Request,
    handler: ConnectionHandler,
    options: ConnectionOptions,
    on_unused: Callable[[], None] | None = None,
) -> UpgradeResponse:
    """Switch ``request`` to a WebSocket served by ``handler`` (the handshake was checked)."""
    return UpgradeResponse(WebSocketUpgrade(request, handler, options, on_unused))


def mark_websocket_view(view: V) -> V:
    """Mark ``view`` as answering WebSocket handshakes itself (returns it)."""
    setattr(view, HANDLES_WEBSOCKETS, True)
    return view


def handles_websockets(view: Any) -> bool:
    """True for a view (function or class) of one of the WebSocket faces."""
    return bool(getattr(view, HANDLES_WEBSOCKETS, False))
