"""The one dispatcher: a request goes in, a response comes out, whichever front door it came from.

Handler.handle(request)
  └─ middleware onion (MIDDLEWARE, outermost first, then the front door's inner middleware such as
     development static serving; sync or async, each layer's errors become responses)
       └─ resolve → call the view (async awaited, sync in the thread pool) → check the result
  └─ close the request's database sessions, if it opened any (``request.db``, ``request.async_db``)

With ``ATOMIC_REQUESTS`` the view's database work is committed when it returns and rolled back
when it raises, before any middleware sees the response.

The dispatcher serves no static file itself: whoever builds a :class:`Handler` hands it the extra
middleware to use (the front doors add ``duck.staticfiles.middleware.StaticFilesMiddleware``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from duck.conf import on_setting_changed, settings
from duck.core.exception import response_for_exception
from duck.db.requests import RequestSessions, opened_request_sessions, request_sessions
from duck.exceptions import ImproperlyConfigured, MiddlewareNotUsed, Resolver404, ViewReturnedInvalidResponse
from duck.http.request import Request
from duck.http.response import HttpResponse, HttpResponsePermanentRedirect
from duck.utils.imports import import_string
from duck.utils.sync import async_to_sync, current_loop, is_async_callable, run_sync

logger = logging.getLogger("duck.request")

AsyncGetResponse = Callable[[Request], Awaitable[HttpResponse]]
# A middleware as Django defines it: called once with get_response, returns the callable layer.
MiddlewareFactory = Callable[[Callable[[Request], Any]], Any]


class _GetResponse:
    """The ``get_response`` handed to a middleware, usable from sync and async code alike.

    Awaited on the event loop it runs the next layer directly; called from a sync middleware
    (which runs in a worker thread) it blocks until the next layer, run on the loop, returns.
    """

    __slots__ = ("_next",)

    def __init__(self, next_layer: AsyncGetResponse) -> None:
        self._next = next_layer

    def __call__(self, request: Request) -> Any:
        if current_loop() is not None:
            return async_to_sync(self._next)(request)
        return self._next(request)


def _guarded(layer: AsyncGetResponse) -> AsyncGetResponse:
    """Turn exceptions escaping ``layer`` into responses, so outer middleware always sees a response."""

    async def guarded(request: Request) -> HttpResponse:
        try:
            return await layer(request)
        except Exception as exc:
            return response_for_exception(request, exc)

    return guarded


def _adapt_middleware(instance: Any, path: str) -> AsyncGetResponse:
    if not callable(instance):
        raise ImproperlyConfigured(f"Middleware {path!r} returned a non-callable {instance!r}.")
    if is_async_callable(instance):
        return cast(AsyncGetResponse, instance)

    async def call_sync_middleware(request: Request) -> HttpResponse:
        return await run_sync(instance, request)

    return call_sync_middleware


class Handler:
    """Builds the middleware chain once and dispatches requests through it.

    Args:
        middleware: dotted paths or factories, outermost first; ``settings.MIDDLEWARE`` when None.
        inner_middleware: factories put inside those, next to the view, unless ``middleware``
            lists them already (the front doors pass development static serving here).
    """

    def __init__(
        self,
        middleware: Sequence[str | MiddlewareFactory] | None = None,
        *,
        inner_middleware: Sequence[MiddlewareFactory] = (),
    ) -> None:
        self._middleware = middleware
        self._inner_middleware = tuple(inner_middleware)
        self._chain: AsyncGetResponse | None = None
        self._view_middleware: list[Callable[..., Any]] = []
        on_setting_changed(self._reset)

    def _reset(self) -> None:
        self._chain = None

    def _build_chain(self) -> AsyncGetResponse:
        chain: AsyncGetResponse = _guarded(self._get_response)
        paths = self._middleware if self._middleware is not None else settings.MIDDLEWARE
        factories: list[MiddlewareFactory] = [import_string(path) if isinstance(path, str) else path for path in paths]
        factories += [factory for factory in self._inner_middleware if factory not in factories]
        view_hooks = []
        for factory in reversed(factories):
            try:
                instance = factory(_GetResponse(chain))
            except MiddlewareNotUsed as exc:
                logger.debug("Middleware %r is not used: %s", factory, exc)
                continue
            chain = _guarded(_adapt_middleware(instance, _name_of(factory)))
            process_view = getattr(instance, "process_view", None)
            if process_view is not None:
                view_hooks.append(process_view)
        self._view_middleware = view_hooks[::-1]  # outermost first, as Django runs them
        return chain

    async def handle(self, request: Request) -> HttpResponse:
        """Dispatch ``request``; never raises for errors a response can express."""
        try:
            request.host  # noqa: B018 - validates against ALLOWED_HOSTS before any view sees it
            if self._chain is None:
                self._chain = self._build_chain()
        except Exception as exc:
            return response_for_exception(request, exc)
        try:
            return await self._chain(request)
        finally:
            sessions = opened_request_sessions(request)
            if sessions is not None:
                await _close_sessions(sessions)

    async def _get_response(self, request: Request) -> HttpResponse:
        from duck.urls import get_resolver

        resolver = get_resolver()
        try:
            match = resolver.resolve(request.path, method=request.method)
        except Resolver404:
            redirect = self._append_slash(request, resolver)
            if redirect is None:
                raise
            return redirect
        request.resolver_match = match
        request.path_params = match.kwargs
        for process_view in self._view_middleware:
            early = process_view(request, match.func, match.args, match.kwargs)
            if inspect.isawaitable(early):
                early = await early
            if early is not None:
                return _checked(early, match.func)
        view = match.view
        if settings.ATOMIC_REQUESTS:
            return _checked(await _call_atomic(view, request, match.args, match.kwargs), match.func)
        if is_async_callable(view):
            response = await view(request, *match.args, **match.kwargs)
        else:
            response = await run_sync(view, request, *match.args, **match.kwargs)
        return _checked(response, match.func)

    @staticmethod
    def _append_slash(request: Request, resolver: Any) -> HttpResponse | None:
        if not settings.APPEND_SLASH or request.path.endswith("/") or request.method not in ("GET", "HEAD"):
            return None
        try:
            resolver.resolve(request.path + "/", method=request.method)
        except Exception:
            return None
        target = request.path + "/" + (f"?{request.query_string}" if request.query_string else "")
        return HttpResponsePermanentRedirect(target)


async def _call_atomic(
    view: Callable[..., Any], request: Request, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Call the view; commit the request's sessions if it returns, roll them back if it raises."""
    sessions = request_sessions(request)
    try:
        if is_async_callable(view):
            response = await view(request, *args, **kwargs)
        else:
            response = await run_sync(view, request, *args, **kwargs)
    except BaseException:
        try:
            await _end_transactions(sessions, commit=False)
        except Exception:
            logger.exception("Rolling back the request's database transaction failed")
        raise
    await _end_transactions(sessions, commit=True)
    return response


async def _end_transactions(sessions: RequestSessions, *, commit: bool) -> None:
    await sessions.end_async(commit)
    if sessions.has_sync:
        await run_sync(sessions.end_sync, commit)


async def _close_sessions(sessions: RequestSessions) -> None:
    try:
        await sessions.close(run_sync)
    except Exception:  # the response is ready: a database gone meanwhile must not lose it
        logger.exception("Closing the request's database sessions failed")


def _checked(response: Any, view: Any) -> HttpResponse:
    if isinstance(response, HttpResponse):
        return response
    name = getattr(view, "__qualname__", None) or repr(view)
    module = getattr(view, "__module__", "")
    full_name = f"{module}.{name}" if module else name
    got = "None" if response is None else f"an object of type {type(response).__name__}"
    hint = " (did you forget a return statement?)" if response is None else ""
    raise ViewReturnedInvalidResponse(f"The view {full_name} didn't return an HttpResponse; it returned {got}{hint}.")


def _name_of(factory: Any) -> str:
    return f"{getattr(factory, '__module__', '')}.{getattr(factory, '__qualname__', repr(factory))}"


_handlers: dict[tuple[MiddlewareFactory, ...], Handler] = {}


def get_handler(*, inner_middleware: Sequence[MiddlewareFactory] = ()) -> Handler:
    """The process-wide handler for ``settings.MIDDLEWARE`` plus ``inner_middleware`` (see :class:`Handler`).

    Front doors in one process that pass the same inner middleware share one handler (one chain).
    """
    key = tuple(inner_middleware)
    handler = _handlers.get(key)
    if handler is None:
        handler = _handlers[key] = Handler(inner_middleware=key)
    return handler
