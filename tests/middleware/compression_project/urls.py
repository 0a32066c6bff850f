"""One view per CompressionMiddleware rule, plus a stream that waits for the client between chunks."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse, StreamingResponse
from duck.urls import path

# A page big enough to compress; its title is what the browser tests look for.
PAGE = (
    "<!doctype html><html><head><title>duck compressed page</title></head><body>"
    + "".join(f"<p>Paragraph {i}: the quick brown duck jumps over the lazy dog.</p>" for i in range(400))
    + "</body></html>"
)
FIRST, SECOND = "first chunk " * 20, "second chunk " * 20
_gates: dict[str, threading.Event] = {}
_gates_lock = threading.Lock()
# Bound on how long the gated stream waits for the client to say it got the first chunk.
GATE_TIMEOUT = 10.0


def page(request: Request) -> HttpResponse:
    response = HttpResponse(PAGE)
    response["ETag"] = '"page-v1"'
    response["Accept-Ranges"] = "bytes"
    return response


def small(request: Request) -> HttpResponse:
    return PlainTextResponse("tiny")


def png(request: Request) -> HttpResponse:
    return HttpResponse(b"\x89PNG" + b"\0" * 4000, content_type="image/png")


def svg(request: Request) -> HttpResponse:
    return HttpResponse(
        "<svg xmlns='http://www.w3.org/2000/svg'>" + "<g/>" * 500 + "</svg>", content_type="image/svg+xml"
    )


def encoded(request: Request) -> HttpResponse:
    import gzip

    response = HttpResponse(gzip.compress(PAGE.encode()), content_type="text/html; charset=utf-8")
    response["Content-Encoding"] = "gzip"
    return response


def partial(request: Request) -> HttpResponse:
    response = HttpResponse(PAGE[:1000], status=206)
    response["Content-Range"] = f"bytes 0-999/{len(PAGE)}"
    return response


def no_transform(request: Request) -> HttpResponse:
    response = HttpResponse(PAGE)
    response["Cache-Control"] = "public, no-transform"
    return response


def opted_out(request: Request) -> HttpResponse:
    response = HttpResponse(PAGE)
    response.compress = False
    return response


def vary_cookie(request: Request) -> HttpResponse:
    response = HttpResponse(PAGE)
    response["Vary"] = "Cookie"
    return response


def json_view(request: Request) -> HttpResponse:
    return JsonResponse({"items": list(range(500))})


def _lines() -> Iterator[str]:
    for i in range(200):
        yield f"line {i} of a streamed text body\n"


def stream(request: Request) -> HttpResponse:
    return StreamingResponse(_lines(), content_type="text/plain; charset=utf-8")


def stream_opted_in(request: Request) -> HttpResponse:
    response = StreamingResponse(_lines(), content_type="text/plain; charset=utf-8")
    response.compress = True
    return response


async def _events() -> AsyncIterator[str]:
    for i in range(50):
        yield f"data: event {i}\n\n"


def events(request: Request) -> HttpResponse:
    response = StreamingResponse(_events(), content_type="text/event-stream")
    if request.GET.get("compress"):
        response.compress = True
    return response


def _gate(token: str) -> threading.Event:
    with _gates_lock:
        return _gates.setdefault(token, threading.Event())


def gated(request: Request, token: str) -> HttpResponse:
    """Sends FIRST, then SECOND only once /open/<token> was requested (the client got FIRST)."""

    def chunks() -> Iterator[str]:
        yield FIRST
        if not _gate(token).wait(GATE_TIMEOUT):
            yield "gate timed out"
            return
        yield SECOND
        with _gates_lock:
            _gates.pop(token, None)

    response = StreamingResponse(chunks(), content_type="text/plain; charset=utf-8")
    response.compress = True
    return response


def open_gate(request: Request, token: str) -> HttpResponse:
    _gate(token).set()
    return PlainTextResponse("opened")


urlpatterns = [
    path("/page", page),
    path("/small", small),
    path("/png", png),
    path("/svg", svg),
    path("/encoded", encoded),
    path("/partial", partial),
    path("/no-transform", no_transform),
    path("/opted-out", opted_out),
    path("/vary-cookie", vary_cookie),
    path("/json", json_view),
    path("/stream", stream),
    path("/stream-opted-in", stream_opted_in),
    path("/events", events),
    path("/gated/<str:token>", gated),
    path("/open/<str:token>", open_gate),
]
