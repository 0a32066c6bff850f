"""The duck side of bench/fanout_bench.py: a chat room as a WebSocketView with ``GROUPS``.

Run: ``python bench/fanout_duck_app.py PORT BACKEND WORKERS`` (BACKEND ``memory`` or ``redis``;
the Redis URL comes from ``DUCK_REDIS_URL``). Each client gets "welcome" once it is in the room;
each message a client sends is broadcast to everyone else, never waiting for a slow reader.
The sender then gets ``stats T0 T1 USER_S SYSTEM_S``: when the broadcast call began and returned
(``time.time()``) and the CPU it took in user and kernel mode (for the in-memory backend that is
the whole write loop; with Redis it is the publish only).
"""

from __future__ import annotations

import os
import resource
import sys
import time

# FANOUT_DUCK_ROOT: another checkout's duck (fanout_bench.py --baseline), else this one's.
sys.path.insert(0, os.environ.get("FANOUT_DUCK_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from duck.conf import settings
from duck.contrib.websockets import WebSocketView
from duck.urls import path


class Room(WebSocketView):
    GROUPS = ["room"]
    RECEIVE_TIMEOUT = None  # the benchmark's clients only listen

    async def on_open(self) -> None:
        await self.send_text("welcome")  # sent after joining: the client is a member from now on

    async def on_receive(self, data: bytes, opcode: int) -> None:
        began, before = time.time(), resource.getrusage(resource.RUSAGE_SELF)
        await self.broadcast(data.decode(), exclude_self=True)
        ended, after = time.time(), resource.getrusage(resource.RUSAGE_SELF)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        await self.send_text(f"stats {began:.6f} {ended:.6f} {user:.6f} {system:.6f}")


urlpatterns = [path("/ws/fanout", Room)]


def main() -> None:
    port, backend, workers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    settings.configure(
        DEBUG=False,
        SECRET_KEY="not-a-secret-nothing-is-signed",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        ROOT_URLCONF=urlpatterns,
        SERVER_ACCESS_LOG=False,
        SERVER_MAX_CONNECTIONS=20_000,
        WEBSOCKET_PING_INTERVAL=None,
        GROUPS_BACKEND=backend,
        GROUPS_REDIS_PREFIX=f"fanout-bench-{os.getpid()}:",
    )
    from duck.server import run

    run("127.0.0.1", port, workers=workers)


if __name__ == "__main__":
    main()
