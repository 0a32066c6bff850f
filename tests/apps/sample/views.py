"""Views of the sample project: one per behaviour the front doors must carry the same way."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from duck.exceptions import Http404, UpgradeRequired
from duck.http.request import Request
from duck.http.response import (
    HttpResponse,
    JsonResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
    UpgradeResponse,
)
from duck.views import View

# Chunks sent by the ticks stream after the client left would show a stream that was not stopped;
# each finished ticks stream records here how many chunks it produced.
TICKS_FINISHED: list[int] = []


def hello(request: Request) -> HttpResponse:
    return PlainTextResponse("Hello, duck!")


def greet(request: Request, name: str) -> HttpResponse:
    """Echoes a path parameter: non-ASCII names show the path was decoded as UTF-8."""
    return PlainTextResponse(f"Hello, {name}!")


async def item(request: Request, id: int) -> HttpResponse:
    await asyncio.sleep(0)
    return JsonResponse({"id": id, "type": type(id).__name__})


class Things(View):
    """A class-based view: GET lists, POST creates (201) from form data."""

    def get(self, request: Request) -> HttpResponse:
        return PlainTextResponse("all the things")

    def post(self, request: Request) -> HttpResponse:
        return JsonResponse({"created": request.POST.dict()}, status=201)


def _where() -> str:
    """Where the calling code runs: on an event loop, or in duck's thread pool (sync views)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "in the thread pool" if threading.current_thread().name.startswith("duck-sync") else "elsewhere"
    return "on the event loop"


class Mixed(View):
    """Sync and async handlers in one class: each must run the right way through every front door."""

    def get(self, request: Request) -> HttpResponse:
        return PlainTextResponse(f"sync get {_where()}")

    async def post(self, request: Request) -> HttpResponse:
        await asyncio.sleep(0)
        return JsonResponse({"async post": _where(), "name": request.POST.get("name")}, status=201)


def echo_json(request: Request) -> HttpResponse:
    return JsonResponse({"received": request.json()})


def upload(request: Request) -> HttpResponse:
    upload = request.FILES["file"]
    return JsonResponse(
        {
            "name": upload.filename,
            "size": upload.size,
            "content_type": upload.content_type,
            "title": request.POST.get("title"),
            "sha": upload.read().hex()[:16],
        }
    )


def missing(request: Request) -> HttpResponse:
    raise Http404("No such duck.")


def only_get(request: Request) -> HttpResponse:
    return PlainTextResponse("GET only")


def boom(request: Request) -> HttpResponse:
    raise ValueError("secret internals that must not leak")


def stream(request: Request) -> HttpResponse:
    def chunks() -> Iterator[bytes]:
        for number in range(3):
            yield f"chunk {number}\n".encode()

    return StreamingResponse(chunks(), content_type="text/plain; charset=utf-8")


async def ticks(request: Request) -> HttpResponse:
    """An async stream; endless unless ``?limit=N``, so a client leaving is what stops it."""
    limit = int(request.GET.get("limit", "0")) or None

    async def produce() -> AsyncIterator[str]:
        sent = 0
        try:
            while limit is None or sent < limit:
                sent += 1
                yield f"tick {sent - 1}\n"
                await asyncio.sleep(0.001)
        finally:
            TICKS_FINISHED.append(sent)

    return StreamingResponse(produce(), content_type="text/plain; charset=utf-8")


def set_cookie(request: Request) -> HttpResponse:
    response = PlainTextResponse("cookie set")
    response.set_cookie("flavour", "mallard", max_age=3600, httponly=True)
    return response


def clear_cookie(request: Request) -> HttpResponse:
    response = PlainTextResponse("cookie cleared")
    response.delete_cookie("flavour")
    return response


def show_cookies(request: Request) -> HttpResponse:
    return JsonResponse(request.COOKIES)


def old(request: Request) -> HttpResponse:
    return RedirectResponse("/hello")


def go(request: Request, status: int) -> HttpResponse:
    """Redirects to /echo with the given 3xx status, to test which redirects keep method and body."""
    return RedirectResponse("/echo?via=go", status=status)


def echo(request: Request) -> HttpResponse:
    """Reports what the front door built, to compare WSGI, ASGI and the test client."""
    data: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": request.GET.dict(),
        "body": request.body.decode("utf-8", "replace"),
        "content_type": request.content_type,
        "scheme": request.scheme,
    }
    return JsonResponse(data)


class HelloUpgrade:
    """A minimal :class:`duck.http.upgrade.Upgrade` over ASGI: accept, send one message, close.

    It stands in for duck.contrib.websockets where the HTTP layer is tested on its own.
    """

    released = False

    def make_protocol(self) -> Any:
        raise NotImplementedError("served over ASGI only in these tests")

    async def run_asgi(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": f"hello {scope['path']}"})
        await send({"type": "websocket.close", "code": 1000})

    def release(self) -> None:
        self.released = True


def websocket_only(request: Request) -> HttpResponse:
    """A route that speaks WebSocket only (426 to a plain GET)."""
    if not request.is_websocket():
        raise UpgradeRequired("This route speaks WebSocket only.")
    return UpgradeResponse(HelloUpgrade())


def websocket_hello(request: Request) -> HttpResponse:
    """A WebSocket route that says hello over ASGI."""
    if not request.is_websocket():
        raise UpgradeRequired("This route speaks WebSocket only.")
    return UpgradeResponse(HelloUpgrade())
