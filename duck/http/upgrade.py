"""The contract of a protocol switch: what a front door calls to carry one (a WebSocket upgrade).

A WebSocket route answers its upgrade request with an :class:`~duck.http.response.UpgradeResponse`
holding an :class:`Upgrade`. The front doors sit *below* the WebSocket code in duck's layers, so
they do not import it: they call this contract, which ``duck.contrib.websockets.upgrade``
implements once for every WebSocket face.

- duck's own server calls :meth:`Upgrade.make_protocol` and hands the transport to the
  :class:`UpgradedProtocol` it returns (the protocol writes its own handshake answer);
- an ASGI server's ``websocket`` scope goes to :meth:`Upgrade.run_asgi`;
- whoever does neither (WSGI cannot switch; a middleware replaced the response; the client left)
  closes the response, which calls :meth:`Upgrade.release`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

__all__ = ["Receive", "Scope", "Send", "Upgrade", "UpgradedProtocol"]

# The ASGI 3 callables (one definition for duck.asgi and the WebSocket side).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class UpgradedProtocol(Protocol):
    """The ``asyncio`` protocol that drives a connection on duck's server after a protocol switch.

    Attributes:
        on_released: set by the server; called once when the connection is gone, so the server
            forgets it at once (however the connection ended).
    """

    on_released: Callable[[], None] | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None: ...

    def data_received(self, data: bytes) -> None: ...

    def eof_received(self) -> bool | None: ...

    def shutdown(self) -> None:
        """Graceful server shutdown: start closing (a WebSocket sends 1001)."""


class Upgrade(Protocol):
    """What a front door calls to carry a protocol switch: ``make_protocol`` or ``run_asgi``, then ``release``."""

    def make_protocol(self) -> UpgradedProtocol:
        """duck's server: the protocol that takes the transport over."""

    async def run_asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI server: run the connection on this ``websocket`` scope until it ends."""

    def release(self) -> None:
        """The response is closed: if nobody carried the switch, give back what it reserved (idempotent)."""
