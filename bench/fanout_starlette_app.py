"""The reference for bench/fanout_bench.py: the seeds' chat, written for Starlette and run by uvicorn.

A module-level set of clients and a loop that awaits each send in turn, as the seed examples
do: one slow client holds up everyone after it, and only clients of this process are reached.
Run: ``uvicorn fanout_starlette_app:app --app-dir bench``. After the loop the sender gets
``stats T0 T1 USER_S SYSTEM_S`` (when the loop began and ended, its user and kernel CPU time),
as from bench/fanout_duck_app.py.
"""

from __future__ import annotations

import resource
import time

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

connected_clients: set[WebSocket] = set()


async def chat(websocket: WebSocket) -> None:
    await websocket.accept()
    connected_clients.add(websocket)
    await websocket.send_text("welcome")
    try:
        while True:
            message = await websocket.receive_text()
            began, before = time.time(), resource.getrusage(resource.RUSAGE_SELF)
            for client in connected_clients:  # the seeds' broadcast: one awaited send after another
                if client is not websocket:
                    await client.send_text(message)
            ended, after = time.time(), resource.getrusage(resource.RUSAGE_SELF)
            user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
            await websocket.send_text(f"stats {began:.6f} {ended:.6f} {user:.6f} {system:.6f}")
    except WebSocketDisconnect:
        pass
    finally:
        connected_clients.discard(websocket)


app = Starlette(routes=[WebSocketRoute("/ws/fanout", chat)])
