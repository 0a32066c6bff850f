"""Routes of the memory project: a tiny page, an upload sink, a WebSocket echo, and the server's own counts."""

from __future__ import annotations

import ctypes
import gc
import hashlib
import os

from duck.contrib.websockets import WebSocketView
from duck.contrib.websockets.protocol import WebSocketProtocol
from duck.contrib.websockets.sansio import DuckServerProtocol
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse
from duck.server.protocol import HttpProtocol
from duck.urls import path
from duck.utils.heap import heap_trimmer

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


def _trim() -> None:
    """Give freed heap pages back to the OS (glibc), so RSS shows what is live, not the allocator's peak."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: RSS then includes the allocator's free pages
        pass


def peak_rss_bytes() -> int:
    """The most resident memory this process has had (Linux VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def stats(request: Request) -> HttpResponse:
    """RSS and the live connection objects, after a full collection (what a leak would keep).

    ``deflate_holding``: WebSocket connections whose permessage-deflate zlib contexts are allocated.
    """
    gc.collect()
    _trim()
    counts = {"http": 0, "websocket": 0, "deflate_holding": 0}
    for obj in gc.get_objects():
        if isinstance(obj, HttpProtocol):
            counts["http"] += 1
        elif isinstance(obj, WebSocketProtocol):
            counts["websocket"] += 1
            deflate = obj._deflate
            counts["deflate_holding"] += deflate is not None and deflate.holding
    return JsonResponse({"rss": rss_bytes(), "peak_rss": peak_rss_bytes(), **counts})


def heap(request: Request) -> HttpResponse:
    """RSS as the OS sees it (no collection, no trim of our own), the server's heap trims so far and
    the bytes freed since the last one."""
    holding = sum(
        isinstance(obj, WebSocketProtocol) and obj._deflate is not None and obj._deflate.holding
        for obj in gc.get_objects()
    )
    return JsonResponse(
        {"rss": rss_bytes(), "deflate_holding": holding, "trims": heap_trimmer.trims, "pending": heap_trimmer.pending}
    )


def live(request: Request) -> HttpResponse:
    """WebSocket connections and websockets cores still in memory, *without* a collection first.

    With the cyclic garbage collector off (``gc.disable()`` in the run's settings) anything counted
    here after its connection closed is kept by a reference cycle, not freed at once.
    """
    objects = gc.get_objects()
    counts = {
        "websocket": sum(isinstance(obj, WebSocketProtocol) for obj in objects),
        "core": sum(isinstance(obj, DuckServerProtocol) for obj in objects),
    }
    return JsonResponse(counts)


async def ping(request: Request) -> HttpResponse:
    return PlainTextResponse("pong")


async def upload(request: Request) -> HttpResponse:
    return PlainTextResponse("received")  # the body was read by the server; the view need not look


async def sha256(request: Request) -> HttpResponse:
    """Hash the body as it is read in pieces (request.stream()): never the whole of it in memory."""
    digest = hashlib.sha256()
    async for piece in request.stream():
        digest.update(piece)
    return PlainTextResponse(digest.hexdigest())


class Echo(WebSocketView):
    async def on_receive(self, data: bytes, opcode: int) -> None:
        if opcode == 1:
            await self.send_text(data.decode())
        else:
            await self.send_binary(data)


urlpatterns = [
    path("/stats", stats),
    path("/live", live),
    path("/heap", heap),
    path("/ping", ping),
    path("/upload", upload),
    path("/upload/sha256", sha256),
    path("/ws/echo", Echo),
]
