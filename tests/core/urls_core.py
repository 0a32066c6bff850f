"""URL conf for the dispatcher tests."""

from __future__ import annotations

import asyncio
import threading

from duck.exceptions import BadRequest, Http404, PermissionDenied, SuspiciousOperation
from duck.http.response import HttpResponse, JsonResponse
from duck.urls import path
from duck.views import View


def sync_view(request):
    return HttpResponse(f"sync {request.method}")


async def async_view(request, id):
    await asyncio.sleep(0)
    return JsonResponse({"id": id, "type": type(id).__name__})


def logged(request, id):
    request.__dict__.setdefault("log", []).append("view")
    request.view_thread = threading.get_ident()
    if request.GET.get("raise") == "view":
        raise ValueError("the view failed")
    return HttpResponse(f"logged {id}")


def returns_none(request):
    return None


def returns_string(request):
    return "oops"


def raises(request, kind):
    errors = {
        "404": Http404("no such thing"),
        "403": PermissionDenied(),
        "400": BadRequest("bad thing"),
        "suspicious": SuspiciousOperation("weird"),
        "boom": ValueError("secret internal detail"),
    }
    raise errors[kind]


class ItemView(View):
    def get(self, request, id):
        return HttpResponse(f"item {id}")

    def post(self, request, id):
        return HttpResponse(f"posted {id}", status=201)


class AsyncItemView(View):
    async def get(self, request):
        return HttpResponse("async get")


def thread_name(request):
    import threading

    return HttpResponse(threading.current_thread().name)


urlpatterns = [
    path("/sync", sync_view, name="sync"),
    path("/async/<int:id>", async_view, name="async"),
    path("/none", returns_none),
    path("/logged/<int:id>", logged),
    path("/string", returns_string),
    path("/raise/<str:kind>", raises),
    path("/items/<int:id>", ItemView, name="item"),
    path("/async-items", AsyncItemView),
    path("/get-only", sync_view, methods=["GET"]),
    path("/thread", thread_name),
    path("/slash/", sync_view),
]
