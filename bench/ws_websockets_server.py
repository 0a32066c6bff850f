"""The websockets library's own asyncio server for bench/ws_bench.py: echo, on uvloop like the others.

Run: ``python bench/ws_websockets_server.py PORT``. The handler is the library's documented echo
(``async for message in websocket: await websocket.send(message)``), with keepalive pings off
as on the other servers in the benchmark, and the library's default permessage-deflate (the
echo load offers no compression; the idle-memory runs offer it as browsers do).
"""

from __future__ import annotations

import asyncio
import signal
import sys

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


async def echo(websocket: ServerConnection) -> None:
    try:
        async for message in websocket:
            await websocket.send(message)
    except ConnectionClosed:
        pass  # the benchmark drops its connections without a closing handshake


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(echo, "127.0.0.1", port, ping_interval=None, compression="deflate", backlog=2048):
        await stop


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a duck dependency on CPython/Linux
        asyncio.run(main(port))
    else:
        uvloop.run(main(port))
