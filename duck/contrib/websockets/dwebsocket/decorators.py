"""``accept_websocket`` and ``require_websocket``: dwebsocket's decorators for function views.

::

    @require_websocket
    def echo_once(request):
        message = request.websocket.wait()
        request.websocket.send(message)

    @accept_websocket
    def lower_case(request):
        if not request.is_websocket():
            return HttpResponse(request.GET["message"].lower())
        for message in request.websocket:
            request.websocket.send(message.lower())

How a request goes through a decorated view:

- plain HTTP: ``accept_websocket`` calls the view as any view (a sync one in the sync-view
  thread pool); ``require_websocket`` answers 400.
- upgrade request: the handshake is checked (400 if malformed, 426 for another protocol
  version, 403 for a cross-site Origin); a sync view also needs one of the
  ``WEBSOCKET_SYNC_THREADS`` slots (503 when all are taken). The answer is an
  ``UpgradeResponse``; once switched, the handshake is completed (dwebsocket accepted before
  the view ran, so duck does too), ``request.websocket`` is set and the view runs: an async view
  on the event loop, a sync view in its own thread. When the view returns the connection is
  closed with 1000; when it raises, with 1011 and the error is logged.

The decorators mark the view with ``accept_websocket = True`` (and ``require_websocket``), the
attribute dwebsocket's middleware looks for; :class:`~duck.contrib.websockets.middleware.WebSocketMiddleware`
does the same.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, cast

from duck.auth.decorators import refusal_for_anonymous
from duck.contrib.websockets.connection import WebSocketConnection
from duck.contrib.websockets.dwebsocket.facade import AsyncWebSocket, SyncWebSocket
from duck.contrib.websockets.dwebsocket.inbox import Inbox
from duck.contrib.websockets.dwebsocket.threads import SyncSlot, reserve_slot, run_in_own_thread
from duck.contrib.websockets.handshake import check_handshake
from duck.contrib.websockets.options import face_options
from duck.contrib.websockets.upgrade import mark_websocket_view, upgrade_response
from duck.exceptions import BadRequest, ImproperlyConfigured, ServiceUnavailable
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.utils.sync import is_async_callable, run_sync

__all__ = ["accept_websocket", "require_websocket", "websocket_view"]

ViewFunction = Callable[..., Any]

# Sent with a 503 when every sync WebSocket thread is taken: a slot frees when a client leaves.
_RETRY_AFTER_SECONDS = "5"


def accept_websocket(view: ViewFunction) -> ViewFunction:
    """Let ``view`` answer both plain HTTP requests and WebSocket connections.

    In the view, ``request.is_websocket()`` tells them apart and ``request.websocket`` is the
    connection (None for plain HTTP).
    """
    return websocket_view(view, required=False)


def require_websocket(view: ViewFunction) -> ViewFunction:
    """Let ``view`` answer WebSocket connections only; a plain HTTP request gets 400."""
    return websocket_view(view, required=True)


def websocket_view(view: ViewFunction, *, required: bool) -> ViewFunction:
    """Wrap a function view in dwebsocket's behaviour (the engine of both decorators and the middleware).

    Raises:
        ImproperlyConfigured: ``view`` is a class or not callable.
    """
    if getattr(view, "require_websocket", None) is not None and hasattr(view, "__wrapped__"):
        view = view.__wrapped__  # re-decorated: the latest decorator decides
    _check_view(view)
    is_async = is_async_callable(view)

    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.is_websocket():
            if required:
                raise BadRequest("This URL accepts WebSocket connections only.")
            if is_async:
                response: HttpResponse = await view(request, *args, **kwargs)
                return response
            return cast(HttpResponse, await run_sync(view, request, *args, **kwargs))
        if getattr(view, "login_required", False):  # @login_required under this decorator: refuse before accepting
            refusal_for_anonymous(request)
        return cast(HttpResponse, _upgrade(request, view, is_async, args, kwargs))

    functools.update_wrapper(wrapper, view)
    wrapper.accept_websocket = True  # type: ignore[attr-defined]
    wrapper.require_websocket = required  # type: ignore[attr-defined]
    mark_websocket_view(wrapper)
    return wrapper


def _check_view(view: Any) -> None:
    if isinstance(view, type):
        raise ImproperlyConfigured(
            f"Decorate a view function, not the class {view.__qualname__}: "
            f"accept_websocket({view.__qualname__}.as_view()), or use a WebSocketView subclass."
        )
    if not callable(view):
        raise ImproperlyConfigured(f"accept_websocket/require_websocket decorate a view function, not {view!r}.")


def _upgrade(
    request: Request, view: ViewFunction, is_async: bool, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    check_handshake(request)  # a refusal is an HttpError: the dispatcher answers it
    slot = None
    if not is_async:
        slot = reserve_slot()
        if slot is None:
            raise ServiceUnavailable(
                "Too many WebSocket connections are open on this server; try again later.",
                headers=[("Retry-After", _RETRY_AFTER_SECONDS)],
            )
    handler = functools.partial(_serve, view, is_async, slot, args, kwargs)
    return upgrade_response(request, handler, face_options(), None if slot is None else slot.release)


async def _serve(
    view: ViewFunction,
    is_async: bool,
    slot: SyncSlot | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    connection: WebSocketConnection,
) -> None:
    """The connection's handler: accept, give the view ``request.websocket``, run it."""
    try:
        await connection.accept()
        loop = asyncio.get_running_loop()
        inbox = Inbox(loop, connection.options.receive_high_water)
        inbox.start(connection)
        request = connection.request
        face = AsyncWebSocket if is_async else SyncWebSocket
        request.websocket = face(connection, inbox, loop)
        try:
            if slot is None:
                await view(request, *args, **kwargs)
            else:
                held, slot = slot, None  # the thread releases it now
                await run_in_own_thread(held, view, request, *args, **kwargs)
        finally:
            inbox.stop()
    finally:
        if slot is not None:
            slot.release()  # the handshake failed before the thread started
