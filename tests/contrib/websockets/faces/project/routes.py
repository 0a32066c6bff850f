"""Starlette/Ravyn-style handlers: the issue's ``chat_socket`` verbatim, then probes for the tests."""

from __future__ import annotations

from duck.contrib.websockets import WebSocket, WebSocketDisconnect, websocket
from tests.contrib.websockets.faces.project.events import record


# --- the snippet, as the issue gives it ----------------------------------------------------------
@websocket("/ws/{client_id}")
async def chat_socket(websocket: WebSocket, client_id: str) -> None:
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Message from {client_id}: {data}")
    except WebSocketDisconnect:
        print(f"Client {client_id} disconnected")


# --- probes ----------------------------------------------------------------------------------------
@websocket("/routes/never-accepts")
async def never_accepts(websocket: WebSocket) -> None:
    """Returns without accept(): the handshake must be refused, not left hanging."""


@websocket("/routes/raises")
async def raises(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("the handler failed")


@websocket("/routes/details/{room:int}", name="details")
async def details(websocket: WebSocket, room: int, **kwargs: object) -> None:
    """Reports the handshake, then echoes JSON until the client leaves."""
    before = websocket.client_state.name
    offered = websocket.headers.get("sec-websocket-protocol", "")
    await websocket.accept(subprotocol="chat.v1" if "chat.v1" in offered else None, headers={"x-room": str(room)})
    await websocket.send_json(
        {
            "room": room,
            "type": type(room).__name__,
            "kwargs": sorted(kwargs),
            "path_params": websocket.path_params,
            "q": websocket.query_params.get("q"),
            "before": before,
            "after": websocket.client_state.name,
            "subprotocol": websocket.subprotocol,
            "url": websocket.url,
        }
    )
    async for data in websocket.iter_json():
        await websocket.send_json({"echo": data})
    record(f"details-{room}:state:{websocket.client_state.name}")


@websocket("/routes/text-only")
async def text_only(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_text(await websocket.receive_text())


@websocket("/routes/bytes")
async def bytes_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_bytes():
        await websocket.send_bytes(data[::-1])


@websocket("/routes/disconnect/{tag}")
async def disconnect_probe(websocket: WebSocket, tag: str) -> None:
    """Records the close code WebSocketDisconnect carried; "close" makes the server close with 4001."""
    await websocket.accept()
    try:
        while True:
            if await websocket.receive_text() == "close":
                await websocket.close(4001, "asked to")
                record(f"{tag}:app:{websocket.application_state.name}")
                return
    except WebSocketDisconnect as exc:
        record(f"{tag}:disconnect:{exc.code}")
