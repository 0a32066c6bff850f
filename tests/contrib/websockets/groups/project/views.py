"""Views of the groups project: each face of a connection joins a group; JSON commands drive them.

``Lobby`` (``GROUPS = ["lobby"]``) understands, as JSON text messages:

- ``{"op": "say", "text": ..., "group": ..., "exclude_self": ...}``: ``self.broadcast(...)``;
- ``{"op": "send", "group": ..., "value": ..., "binary": false}``: ``groups.send`` (JSON or bytes);
- ``{"op": "join"|"leave", "group": ...}``: answered with ``{"joined"|"left": group}``;
- ``{"op": "echo", "text": ...}``: a plain ``send_text`` (compressed when negotiated).

Every WebSocket view first sends ``{"pid": ..., "groups": [...]}`` once it is in its groups,
so a client knows from then on it receives what is sent to them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from duck.contrib.websockets import WebSocket, WebSocketView, accept_websocket, groups, websocket
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse

#: Connections opened in this process, newest last (in-process tests look at their close codes).
OPENED: list[Any] = []


def _hello(connection: Any) -> str:
    return json.dumps({"pid": os.getpid(), "groups": sorted(groups.groups_of(connection))})


class Lobby(WebSocketView):
    GROUPS = ["lobby"]
    RECEIVE_TIMEOUT = None

    async def on_open(self) -> None:
        OPENED.append(self.connection)
        await self.send_text(_hello(self))

    async def on_receive(self, data: bytes, opcode: int) -> None:
        command = json.loads(data)
        op = command["op"]
        if op == "say":
            await self.broadcast(command["text"], group=command.get("group"), exclude_self=command.get("exclude_self"))
        elif op == "send":
            value = command["value"]
            await groups.send(command["group"], value.encode() if command.get("binary") else value)
        elif op == "join":
            await self.join(command["group"])
            await self.send_json({"joined": command["group"]})
        elif op == "leave":
            await self.leave(command["group"])
            await self.send_json({"left": command["group"]})
        elif op == "echo":
            await self.send_text(command["text"])


class Quiet(WebSocketView):
    """Joins the group named in the path and says hello; for clients that never read."""

    RECEIVE_TIMEOUT = None

    async def on_open(self) -> None:
        OPENED.append(self.connection)
        await self.join(self.kwargs["group"])
        await self.send_text(_hello(self))


@websocket("/ws/starlette/{group}")
async def starlette_member(ws: WebSocket, group: str) -> None:
    """The Starlette face: ``groups.add`` takes the ``WebSocket`` itself; relays text to the others."""
    await ws.accept()
    await groups.add(group, ws)
    await ws.send_text(_hello(ws))
    async for text in ws.iter_text():
        await groups.send(group, text, exclude=ws)


@accept_websocket
async def dwebsocket_async_member(request: Request, group: str) -> None:
    """dwebsocket's awaitable face: ``request.websocket`` joins; relays messages to the others."""
    await groups.add(group, request.websocket)
    await request.websocket.send(_hello(request.websocket))
    async for message in request.websocket:
        await groups.send(group, message, exclude=request.websocket)


@accept_websocket
def dwebsocket_sync_member(request: Request, group: str) -> None:
    """dwebsocket's blocking face, in its own thread: the ``*_sync`` twins."""
    groups.add_sync(group, request.websocket)
    request.websocket.send(_hello(request.websocket))
    for message in request.websocket:
        groups.send_sync(group, message, exclude=request.websocket)


async def http_send(request: Request, group: str) -> HttpResponse:
    """An async HTTP view broadcasting ``?text=`` (or JSON ``?json=``) to ``group``."""
    message: Any = json.loads(request.GET["json"]) if "json" in request.GET else request.GET["text"]
    await groups.send(group, message)
    return PlainTextResponse("sent")


def http_send_sync(request: Request, group: str) -> HttpResponse:
    """A sync HTTP view (worker thread) broadcasting ``?text=`` with ``groups.send_sync``."""
    groups.send_sync(group, request.GET["text"], timeout=5)
    return PlainTextResponse("sent")


async def members(request: Request, group: str) -> HttpResponse:
    """How many members ``group`` has in this process."""
    return JsonResponse({"pid": os.getpid(), "members": len(groups.members(group))})
