"""``MiddlewareMixin``: the base of a middleware made of hooks, which the dispatcher runs flat.

It lives with requests and responses, below the dispatcher, so that any layer's middleware can use
it; the dispatcher (:mod:`duck.core.pipeline`) recognises it and calls the hooks itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

from duck.http.request import Request
from duck.http.response import HttpResponse

__all__ = ["MiddlewareMixin"]


class MiddlewareMixin:
    """The base of a middleware made of hooks (sync or async methods), run flat by the dispatcher.

    ::

        class Timing(MiddlewareMixin):
            needs_event_loop = False          # its async hooks await nothing (WSGI may skip the loop)

            async def process_request(self, request):
                request.started = time.monotonic()   # return a response to answer here instead

            async def process_response(self, request, response):
                response["server-timing"] = f"app;dur={(time.monotonic() - request.started) * 1000:.1f}"
                return response

    Called directly (outside the dispatcher, e.g. in a test) it runs its hooks around ``get_response``.
    """

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        self.get_response = get_response

    async def __call__(self, request: Request) -> HttpResponse:
        response = None
        process_request = getattr(self, "process_request", None)
        if process_request is not None:
            response = await _resolved(process_request(request))
        if response is None:
            response = await _resolved(self.get_response(request))
        process_response = getattr(self, "process_response", None)
        if process_response is not None:
            response = await _resolved(process_response(request, response))
        return cast(HttpResponse, response)


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
