"""dwebsocket-style views: the issue's two snippets verbatim, then probes for the tests."""

from __future__ import annotations

import json
import time

from duck.contrib.websockets import accept_websocket, require_websocket
from duck.http.response import HttpResponse
from tests.contrib.websockets.faces.project.events import record, wait_for

# How long the "slow" view blocks its thread; the tests compare other work against it.
SLOW_SECONDS = 1.5


# --- the snippets, as the issue gives them -------------------------------------------------------
@require_websocket
def echo_once(request):
    message = request.websocket.wait()
    request.websocket.send(message)


@accept_websocket
def lower_case(request):
    if not request.is_websocket():
        return HttpResponse(request.GET["message"].lower())
    for message in request.websocket:
        request.websocket.send(message.lower())


# --- probes ----------------------------------------------------------------------------------------
@require_websocket
def probe(request):
    """Report the non-blocking queries, answer commands, and record how the conversation ended."""
    ws = request.websocket
    tag = request.GET.get("tag", "probe")
    ws.send(json.dumps({"read": ws.read(), "count": ws.count_messages(), "has": ws.has_messages()}))
    for message in ws:
        if message == "quit":
            return
        if isinstance(message, str) and message.startswith("wait:"):
            got = ws.wait(timeout=float(message[5:]))
            ws.send("timeout" if got is None and not ws.is_closed() else f"got:{got}")
            continue
        ws.send(message)
    record(f"{tag}:iter-ended")
    if ws.wait() is None and ws.read() is None and ws.is_closed():
        record(f"{tag}:wait-none")


@require_websocket
def slow(request):
    """Blocks its thread the way a slow database call would."""
    request.websocket.send("busy")
    time.sleep(SLOW_SECONDS)
    request.websocket.send("done")


@require_websocket
async def async_echo(request):
    """The awaitable face: ``async for`` and ``await send``."""
    ws = request.websocket
    async for message in ws:
        await ws.send(message)
    if await ws.wait() is None:
        record(f"{request.GET.get('tag', 'async')}:async-wait-none")


@require_websocket
def raising(request):
    request.websocket.wait()
    raise RuntimeError("the sync view failed")


def plain_view(request):
    """Not decorated: takes WebSockets only with WEBSOCKET_ACCEPT_ALL (and WebSocketMiddleware)."""
    if request.is_websocket():
        for message in request.websocket:
            request.websocket.send(f"plain: {message}")
        return None
    return HttpResponse("a plain page")


def opted_in(request):
    """dwebsocket's attribute opt-in, without the decorator (needs WebSocketMiddleware)."""
    for message in request.websocket:
        request.websocket.send(f"opted in: {message}")


opted_in.accept_websocket = True


def event_view(request, name):
    """``/events/<name>``: 200 once the event happened (waits up to 5 s), else 504."""
    if wait_for(name, 5.0):
        return HttpResponse("seen")
    return HttpResponse("not seen", status=504)
