"""Reference echo server built on the ``websockets`` library's asyncio server.

It is not part of duck: ``python -m compliance.run --server websockets`` runs the
Autobahn suite against it to check the harness itself (a well-known, conformant
implementation should come out with no FAILED case). The limits mirror the ones
``compliance/echo_server.py`` gives duck, so both servers face the same suite.

    python -m compliance.websockets_echo_server --port 9001
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

# websockets >= 15 refuses fragmented messages of more than 4096 frames ("too many fragments",
# close 1009), read from this variable at import time. Cases 9.3.1/9.4.1 send 4 MiB in 64-byte
# fragments (65536 frames), so the reference gets a limit above that, as duck gets 16 MiB sizes.
os.environ.setdefault("WEBSOCKETS_MAX_FRAGMENTS", str(1 << 20))

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # same generous limit as compliance/echo_server.py


async def echo(connection: ServerConnection) -> None:
    try:
        async for message in connection:
            await connection.send(message)  # str stays a text frame, bytes a binary frame
    except ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        echo,
        host,
        port,
        max_size=MAX_MESSAGE_SIZE,
        ping_interval=None,  # no keepalive pings interleaved with the suite's frames
        compression="deflate",  # permessage-deflate for cases 12.x / 13.x
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
