"""The dwebsocket face: ``accept_websocket``/``require_websocket`` on function views, sync or async.

For projects coming from Django's dwebsocket (see docs/migration.md). The view gets
``request.websocket``, a :class:`SyncWebSocket` in a sync view (which runs in its own worker
thread, at most ``WEBSOCKET_SYNC_THREADS`` at once) or an :class:`AsyncWebSocket` in an async
one; both sit over the same connection core as ``WebSocketView``, on duck's server and under ASGI.

Modules: :mod:`.decorators` (the decorators), :mod:`.facade` (``request.websocket``),
:mod:`.inbox` (received messages), :mod:`.threads` (one thread per sync view, bounded),
:mod:`.upgrade` (the ``UpgradeResponse`` both function faces return).
"""

from __future__ import annotations

from duck.contrib.websockets.dwebsocket.decorators import accept_websocket, require_websocket, websocket_view
from duck.contrib.websockets.dwebsocket.facade import AsyncWebSocket, SyncWebSocket

__all__ = ["AsyncWebSocket", "SyncWebSocket", "accept_websocket", "require_websocket", "websocket_view"]
