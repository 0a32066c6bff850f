"""Answering an upgrade request for the function-style faces (dwebsocket decorators and ``@websocket``).

Both faces end the same way ``WebSocketView.as_view()`` does: the view checks the handshake
and returns an :class:`~duck.http.response.UpgradeResponse` whose two builders run one
``async handler(connection)`` over duck's server or over ASGI. This module holds that common
ending, plus the bookkeeping of a sync view's thread slot when the connection never starts.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from duck.contrib.websockets.asgi import run_asgi
from duck.contrib.websockets.options import ConnectionOptions
from duck.contrib.websockets.protocol import WebSocketProtocol
from duck.http.response import UpgradeResponse

if TYPE_CHECKING:
    from duck.contrib.websockets.connection import Handler
    from duck.contrib.websockets.dwebsocket.threads import SyncSlot
    from duck.http.request import Request

__all__ = ["SlotUpgradeResponse", "face_options", "upgrade_response"]


def face_options() -> ConnectionOptions:
    """Limits of a dwebsocket or ``@websocket`` connection: the ``WEBSOCKET_*`` settings.

    No receive timeout (neither dwebsocket nor Starlette has one: a quiet chat is not a dead
    one; keepalive pings find dead peers) and no frame cap beyond the message cap.
    """
    return ConnectionOptions.from_settings(receive_timeout=None, max_frame_size=None)


def upgrade_response(request: Request, handler: Handler, slot: SyncSlot | None = None) -> UpgradeResponse:
    """Switch ``request`` to a WebSocket served by ``handler`` (holding ``slot`` for a sync view)."""
    options = face_options()
    if slot is not None:
        return SlotUpgradeResponse(request, handler, options, slot)
    return UpgradeResponse(
        make_protocol=functools.partial(WebSocketProtocol, request, handler, options),
        run_asgi=functools.partial(run_asgi, request, handler, options),
    )


class SlotUpgradeResponse(UpgradeResponse):
    """An upgrade that holds a sync-view thread slot until its handler takes it over.

    The handler releases the slot when the view's thread ends. If no connection is ever made
    (the client left, a middleware swapped the response), :meth:`close`, which every front
    door calls on the response, gives it back.
    """

    def __init__(self, request: Request, handler: Handler, options: ConnectionOptions, slot: SyncSlot) -> None:
        super().__init__(make_protocol=self._make_protocol, run_asgi=self._run_asgi)
        self._request = request
        self._handler = handler
        self._options = options
        self._slot = slot
        self._started = False

    def _make_protocol(self) -> WebSocketProtocol:
        self._started = True  # duck's server starts the handler right after building the protocol
        return WebSocketProtocol(self._request, self._handler, self._options)

    async def _run_asgi(self, scope: Any, receive: Any, send: Any) -> None:
        self._started = True
        try:
            await run_asgi(self._request, self._handler, self._options, scope, receive, send)
        finally:
            self._slot.release()  # idempotent; covers a client that left before websocket.connect

    def close(self) -> None:
        super().close()
        if not self._started:
            self._slot.release()
