"""The duck side of bench/http_bench.py: the same two views, through the real Handler and a URL conf.

Run: ``python bench/duck_app.py PORT`` (the benchmark does it, pinned to one core).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from duck.conf import settings
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse
from duck.urls import path


async def plaintext(request: Request) -> HttpResponse:
    return PlainTextResponse("Hello, world!")


async def json_view(request: Request) -> HttpResponse:
    return JsonResponse({"message": "Hello, world!"})


urlpatterns = [path("/plaintext", plaintext), path("/json", json_view)]


def main() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        ROOT_URLCONF=urlpatterns,
        SERVER_ACCESS_LOG=False,
    )
    from duck.server import run

    run("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000)


if __name__ == "__main__":
    main()
