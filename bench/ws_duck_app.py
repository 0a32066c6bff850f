"""The duck side of bench/ws_bench.py: an echo ``WebSocketView`` behind duck's own server.

Run: ``python bench/ws_duck_app.py PORT`` (the benchmark does it, pinned to one core). The view
goes through the real dispatcher and a URL conf, as an application's would.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from duck.conf import settings
from duck.contrib.websockets import OpCode, WebSocketView
from duck.urls import path


class Echo(WebSocketView):
    """Sends every message back as it came: text as text, binary as binary."""

    async def on_receive(self, data: bytes, opcode: int) -> None:
        if opcode == OpCode.TEXT:
            await self.send_text(data.decode())
        else:
            await self.send_binary(data)


urlpatterns = [path("/ws", Echo)]


def main() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        ROOT_URLCONF=urlpatterns,
        SERVER_ACCESS_LOG=False,
        # The idle-memory run holds 10,000 connections (plus a spare for warm-up).
        SERVER_MAX_CONNECTIONS=20_000,
        # Keepalive pings off on every server: the runs measure echo and idle memory, not pings.
        WEBSOCKET_PING_INTERVAL=None,
        WEBSOCKET_PING_TIMEOUT=None,
    )
    from duck.server import run

    run("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000)


if __name__ == "__main__":
    main()
