"""The reference app for bench/http_bench.py: Starlette's plaintext, JSON and sync-endpoint hello-world views."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def plaintext(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, world!")


async def json_view(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, world!"})


def sync_view(request: Request) -> JSONResponse:
    """A sync endpoint: Starlette runs it in its thread pool, as duck runs a sync view in its own."""
    return JSONResponse({"message": "Hello, world!"})


app = Starlette(routes=[Route("/plaintext", plaintext), Route("/json", json_view), Route("/sync", sync_view)])
