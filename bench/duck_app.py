"""The duck side of bench/http_bench.py: the same two views, through the real Handler and a URL conf.

Run: ``python bench/duck_app.py PORT [httptools|h11] [log] [defaults]`` (the benchmark does it, pinned to one
core); ``log`` turns the access log on (written to stderr, which the benchmark sends to /dev/null);
``defaults`` runs with the ``MIDDLEWARE`` that ``duck startproject`` writes (read from the project template),
so the cost of a new project's middleware shows next to the bare server.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from duck.conf import settings
from duck.http.request import Request
from duck.http.response import HttpResponse, JsonResponse, PlainTextResponse
from duck.urls import path


async def plaintext(request: Request) -> HttpResponse:
    return PlainTextResponse("Hello, world!")


async def json_view(request: Request) -> HttpResponse:
    return JsonResponse({"message": "Hello, world!"})


def sync_view(request: Request) -> HttpResponse:
    """A sync view: duck runs it in its bounded thread pool."""
    return JsonResponse({"message": "Hello, world!"})


urlpatterns = [path("/plaintext", plaintext), path("/json", json_view), path("/sync", sync_view)]


def startproject_middleware() -> list[str]:
    """The ``MIDDLEWARE`` list of project_template/settings.py-tpl, as a new project gets it."""
    template = Path(__file__).resolve().parent.parent / "project_template" / "settings.py-tpl"
    found = re.search(r"^MIDDLEWARE = (\[.*?\])$", template.read_text(), re.MULTILINE | re.DOTALL)
    if found is None:
        raise SystemExit(f"no MIDDLEWARE list in {template}")
    middleware: list[str] = ast.literal_eval(found.group(1))
    return middleware


def main() -> None:
    options = sys.argv[3:]
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=startproject_middleware() if "defaults" in options else [],
        ROOT_URLCONF=urlpatterns,
        SERVER_HTTP_PARSER=sys.argv[2] if len(sys.argv) > 2 else "httptools",
        SERVER_ACCESS_LOG="log" in options,
    )
    from duck.server import run

    run("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000)


if __name__ == "__main__":
    main()
