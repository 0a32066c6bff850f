"""Middleware used by the dispatcher tests: wrappers sync and async, hooks sync and async, view hooks."""

from __future__ import annotations

import threading

from duck.exceptions import PermissionDenied
from duck.http.middleware import MiddlewareMixin
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


# -- every kind, recording what runs where, for tests/core/test_pipeline.py ---------------------------
def log(request, event):
    request.__dict__.setdefault("log", []).append(event)


def django_sync(get_response):
    def middleware(request):
        log(request, "sync-wrapper in")
        response = get_response(request)
        log(request, "sync-wrapper out")
        return response

    return middleware


def django_async(get_response):
    async def middleware(request):
        log(request, "async-wrapper in")
        response = await get_response(request)
        log(request, "async-wrapper out")
        return response

    return middleware


class SyncHooks(MiddlewareMixin):
    def process_request(self, request):
        log(request, "sync-hooks request")
        request.sync_hook_thread = threading.get_ident()
        if request.GET.get("stop") == "sync":
            return HttpResponse("stopped by sync hooks", status=418)
        return None

    def process_response(self, request, response):
        log(request, "sync-hooks response")
        response["x-sync-hooks"] = "1"
        return response


class AsyncHooks(MiddlewareMixin):
    async def process_request(self, request):
        log(request, "async-hooks request")
        request.async_hook_thread = threading.get_ident()
        if request.GET.get("raise") == "request":
            raise PermissionDenied("refused in process_request")
        return None

    async def process_response(self, request, response):
        log(request, "async-hooks response")
        if request.GET.get("raise") == "response":
            raise ValueError("broken in process_response")
        response["x-async-hooks"] = str(response.status_code)
        return response


class Viewing(MiddlewareMixin):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.name = type(self).__name__

    def view(self, request, kwargs):
        log(request, f"{self.name} view {kwargs}")
        request.__dict__.setdefault("view_hook_threads", []).append(threading.get_ident())
        if request.GET.get("stop") == self.name:
            return HttpResponse(f"view skipped by {self.name}")
        return None

    def process_exception(self, request, exception):
        log(request, f"{self.name} exception {type(exception).__name__}")
        request.exception_hook_thread = threading.get_ident()
        if request.GET.get("rescue") == self.name:
            return HttpResponse(f"rescued by {self.name}", status=299)
        return None


class OuterViewing(Viewing):
    async def process_view(self, request, view, args, kwargs):
        return self.view(request, kwargs)


class InnerViewing(Viewing):
    def process_view(self, request, view, args, kwargs):  # sync: called in place, as CsrfViewMiddleware's
        return self.view(request, kwargs)


class ReturnsNothing(MiddlewareMixin):
    async def process_response(self, request, response):
        return None


class Counted:
    built = 0

    def __init__(self, get_response):
        type(self).built += 1
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)
