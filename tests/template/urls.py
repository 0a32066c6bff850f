"""Routes reversed and served by the template tests."""

from __future__ import annotations

from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.template import TemplateResponse
from duck.urls import path


def item(request: Request, id: int) -> HttpResponse:
    return HttpResponse(f"item {id}")


def greet(request: Request, name: str, to: str) -> HttpResponse:
    return HttpResponse(f"{name} greets {to}")


def lazy(request: Request) -> TemplateResponse:
    return TemplateResponse(request, "hello.html", {"name": "lazy"})


urlpatterns = [
    path("/items/<int:id>", item, name="item"),
    path("/lazy", lazy, name="lazy"),
    path("/greet/<name>/<to>", greet, name="greet"),
]
