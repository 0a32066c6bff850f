"""duck's own server with an echo WebSocketView at "/", for the Autobahn|Testsuite.

    python -m compliance.echo_server --port 9001      # ws://127.0.0.1:9001/

Settings are configured in code (no settings module). The limits are generous on purpose:
the largest Autobahn message (cases 9.1.6/9.2.6) is 16 MiB, so with 16 MiB limits every case
of 1-13 must pass and compliance/run.py's ALLOWED list can stay empty. Keepalive pings are off
so that no unsolicited ping lands in the middle of a case's expected frame sequence.

``DUCK_COMPRESSION_IDLE_RELEASE`` (seconds) overrides ``WEBSOCKET_COMPRESSION_IDLE_RELEASE``: with
``0.001`` the zlib contexts are freed between almost every two messages of a case, so 12.x/13.x
check context takeover across releases (``DUCK_COMPRESSION_IDLE_RELEASE=0.001 python -m
compliance.run --cases '12.*,13.*'``: 216 cases, all OK, thousands of releases).
"""

from __future__ import annotations

import argparse
import os

from duck.conf import settings
from duck.contrib.websockets import OpCode, WebSocketView
from duck.urls import path

MAX_SIZE = 16 * 1024 * 1024  # 16 MiB: the largest message and frame the suite sends (9.1.6, 9.2.6)


class EchoSocket(WebSocketView):
    """Send every message back as it came: text as text, binary as binary."""

    MAX_FRAME_SIZE = MAX_SIZE

    RECEIVE_TIMEOUT = None  # wstest never idles long, but a slow 9.x case must not be cut off
    PING_INTERVAL = 0  # no keepalive pings for this view either

    async def on_receive(self, data: bytes, opcode: int) -> None:
        if opcode == OpCode.TEXT:
            await self.send_text(data.decode("utf-8"))  # duck has validated the UTF-8 already
        else:
            await self.send_binary(data)


urlpatterns = [path("/", EchoSocket)]


def configure() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="not-a-secret-nothing-is-signed",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=urlpatterns,
        MIDDLEWARE=[],
        WEBSOCKET_ALLOWED_ORIGINS=["*"],  # wstest sends no Origin; allow any in case a future one does
        WEBSOCKET_COMPRESSION=True,  # permessage-deflate for cases 12.x / 13.x
        WEBSOCKET_MAX_MESSAGE_SIZE=MAX_SIZE,
        WEBSOCKET_PING_INTERVAL=None,
        WEBSOCKET_PING_TIMEOUT=None,
        SERVER_ACCESS_LOG=False,  # ~300 handshakes per run: keep compliance/reports/server.log readable
        WEBSOCKET_COMPRESSION_IDLE_RELEASE=float(os.environ.get("DUCK_COMPRESSION_IDLE_RELEASE", "10")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    configure()
    from duck.core.handler import get_handler
    from duck.server import run

    run(args.host, args.port, handler=get_handler())  # serves until SIGTERM/SIGINT


if __name__ == "__main__":
    main()
