"""``WebSocketMiddleware``: dwebsocket's middleware, for projects that used it.

::

    MIDDLEWARE = ["duck.contrib.websockets.middleware.WebSocketMiddleware"]
    WEBSOCKET_ACCEPT_ALL = True  # optional: every view accepts WebSockets

With the middleware, a WebSocket handshake to a function view is served as dwebsocket served
it:

- the view is decorated (``accept_websocket``/``require_websocket``), or is a ``WebSocketView``
  or an ``@websocket`` route: it handles the handshake itself, the middleware stays out of the way;
- the view has an ``accept_websocket = True`` attribute (dwebsocket's way to opt a view in
  without the decorator), or ``WEBSOCKET_ACCEPT_ALL`` is on: the view is run as if decorated
  with ``accept_websocket``;
- otherwise the handshake is refused with 400, as dwebsocket's middleware refused WebSockets
  to views that did not accept them (instead of answering a WebSocket client with a page).

Plain HTTP requests pass straight through. ``request.is_websocket()`` and ``request.websocket``
exist on every duck request, with or without the middleware.

The work is done in :meth:`WebSocketMiddleware.process_view`, Django's hook, which duck's
dispatcher calls once the URL is resolved and before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duck.conf import settings
from duck.contrib.websockets.dwebsocket.decorators import websocket_view
from duck.contrib.websockets.upgrade import handles_websockets
from duck.exceptions import BadRequest
from duck.http.request import Request
from duck.http.response import HttpResponse

__all__ = ["WebSocketMiddleware"]

ViewFunction = Callable[..., Any]


class WebSocketMiddleware:
    """Serve WebSocket handshakes to function views the way dwebsocket's middleware did."""

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        self.get_response = get_response
        self._wrapped: dict[Any, ViewFunction] = {}  # view -> its accept_websocket wrapper, built once

    async def __call__(self, request: Request) -> HttpResponse:
        response: HttpResponse = await self.get_response(request)
        return response

    async def process_view(
        self, request: Request, view_func: Any, view_args: tuple[Any, ...], view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        """Answer a handshake to a view that does not handle WebSockets itself; None lets the view run.

        Django's hook, with its arguments: called once the URL is resolved (``request.resolver_match``
        set), before the view.

        Raises:
            BadRequest: the view does not accept WebSockets (400).
        """
        if not request.is_websocket() or handles_websockets(view_func):
            return None
        if not (getattr(view_func, "accept_websocket", False) or settings.WEBSOCKET_ACCEPT_ALL):
            raise BadRequest("This URL does not accept WebSocket connections.")
        wrapped = self._wrapped.get(view_func)
        if wrapped is None:
            view = view_func.as_view() if isinstance(view_func, type) else view_func  # type: ignore[attr-defined]
            wrapped = self._wrapped[view_func] = websocket_view(view, required=False)
        response: HttpResponse = await wrapped(request, *view_args, **view_kwargs)
        return response
