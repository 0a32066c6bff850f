"""CPU time of duck's dispatcher alone (no server, no sockets): Handler.handle plus the wire headers.

    python bench/handler_bench.py [bare|security|defaults] [--requests 20000]

``defaults`` is the MIDDLEWARE of a project made by ``duck startproject``. Prints the best of five
runs in CPU microseconds per request; steadier than wrk on a shared machine, and it isolates the
middleware pipeline from the server.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from duck_app import startproject_middleware, urlpatterns

from duck.conf import settings

RAW_HEADERS = [(b"host", b"localhost"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]


async def measure(requests: int) -> float:
    from duck.core.handler import Handler
    from duck.http.datastructures import Headers
    from duck.http.request import Request

    handler = Handler()
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(requests):
            request = Request("GET", "/plaintext", headers=Headers.from_raw(RAW_HEADERS))
            response = await handler.handle(request)
            response.header_list()
        best = min(best, (time.process_time() - start) / requests * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("middleware", choices=["bare", "security", "defaults"], nargs="?", default="defaults")
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    middleware = {
        "bare": [],
        "security": ["duck.middleware.security.SecurityMiddleware"],
        "defaults": startproject_middleware(),
    }[args.middleware]
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=middleware,
        ROOT_URLCONF=urlpatterns,
    )
    cost = asyncio.run(measure(args.requests))
    print(f"{args.middleware}: {cost:.1f} CPU us/request (Handler.handle + header_list, best of 5)")


if __name__ == "__main__":
    main()
