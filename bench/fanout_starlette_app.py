"""The reference for bench/fanout_bench.py: the seeds' chat, written for Starlette and run by uvicorn.

A module-level set of clients and a loop that awaits each send in turn, as the seed examples
do: one slow client holds up everyone after it, and only clients of this process are reached.
Run: ``uvicorn fanout_starlette_app:app --app-dir bench``.
"""

from __future__ import annotations

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
            for client in connected_clients:  # the seeds' broadcast: one awaited send after another
                if client is not websocket:
                    await client.send_text(message)
    except WebSocketDisconnect:
        pass
    finally:
        connected_clients.discard(websocket)


app = Starlette(routes=[WebSocketRoute("/ws/fanout", chat)])
