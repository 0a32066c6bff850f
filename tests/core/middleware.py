"""Middleware used by the dispatcher tests: one sync, one async, one that short-circuits."""

from __future__ import annotations

from duck.http.response import HttpResponse


def sync_tagger(get_response):
    def middleware(request):
        request.seen = [*getattr(request, "seen", []), "sync"]
        response = get_response(request)
        response["X-Sync"] = "1"
        return response

    return middleware


def async_tagger(get_response):
    async def middleware(request):
        request.seen = [*getattr(request, "seen", []), "async"]
        response = await get_response(request)
        response["X-Async"] = "1"
        return response

    return middleware


class ShortCircuit:
    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        if request.path == "/blocked":
            return HttpResponse("blocked by middleware", status=403)
        return await self.get_response(request)


def broken_factory(get_response):
    return "not callable"
