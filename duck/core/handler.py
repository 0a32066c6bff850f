"""The one dispatcher: a request goes in, a response comes out, whichever front door it came from.

Handler.handle(request)
  └─ the middleware pipeline (MIDDLEWARE, outermost first, then the front door's inner middleware such
     as development static serving), built once (duck.core.pipeline): hooks run flat, wrappers
     are layers; sync or async, each part's errors become responses
       └─ resolve → process_view hooks → call the view (async awaited, sync in the thread pool)
          → process_exception hooks if it raised → check the result
  └─ close the request's database sessions, if it opened any (``request.db``, ``request.async_db``)

With ``ATOMIC_REQUESTS`` the view's database work is committed when it returns and rolled back
when it raises, before any middleware sees the response.

The dispatcher serves no static file itself: whoever builds a :class:`Handler` hands it the extra
middleware to use (the front doors add ``duck.staticfiles.middleware.StaticFilesMiddleware``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from duck.conf import on_setting_changed, settings
from duck.core.exception import response_for_exception
from duck.core.pipeline import MiddlewareFactory, Pipeline, build_pipeline
from duck.db.requests import RequestSessions, opened_request_sessions, request_sessions
from duck.exceptions import Resolver404, ViewReturnedInvalidResponse
from duck.http.request import Request
from duck.http.response import HttpResponse, HttpResponsePermanentRedirect
from duck.urls import get_resolver
from duck.urls.table import ResolverMatch
from duck.utils.imports import import_string
from duck.utils.sync import async_to_sync, is_async_callable, is_inline, run_sync

__all__ = ["Handler", "MiddlewareFactory", "get_handler"]

logger = logging.getLogger("duck.request")


class Handler:
    """Builds the middleware pipeline once and dispatches requests through it.

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
        self._pipeline: Pipeline | None = None
        self._atomic = False
        on_setting_changed(self._reset)

    def _reset(self) -> None:
        self._pipeline = None

    def _build_pipeline(self) -> Pipeline:
        paths = self._middleware if self._middleware is not None else settings.MIDDLEWARE
        factories: list[MiddlewareFactory] = [import_string(path) if isinstance(path, str) else path for path in paths]
        factories += [factory for factory in self._inner_middleware if factory not in factories]
        self._atomic = bool(settings.ATOMIC_REQUESTS)
        pipeline = self._pipeline = build_pipeline(factories, self._get_response)
        return pipeline

    async def handle(self, request: Request) -> HttpResponse:
        """Dispatch ``request``; never raises for errors a response can express."""
        try:
            request.host  # noqa: B018 - validates against ALLOWED_HOSTS before any view sees it
            pipeline = self._pipeline or self._build_pipeline()
        except Exception as exc:
            return response_for_exception(request, exc)
        try:
            return await pipeline.chain(request)
        finally:
            sessions = opened_request_sessions(request)
            if sessions is not None:
                await _close_sessions(sessions)

    def can_run_inline(self, request: Request) -> bool:
        """Whether :meth:`handle` can run ``request`` under ``run_inline``: on the caller's thread,
        without an event loop (every middleware allows it, and the view it goes to is sync)."""
        try:
            pipeline = self._pipeline or self._build_pipeline()
        except Exception:
            return True  # handle() answers with the error at once
        if pipeline.needs_event_loop:
            return False
        try:
            match = get_resolver().resolve(request.path, method=request.method)
        except Exception:
            return True  # 404, 405: no view runs
        return not is_async_callable(match.view)

    async def _get_response(self, request: Request) -> HttpResponse:
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
        pipeline = self._pipeline
        if pipeline is not None:
            for process_view, is_async in pipeline.view_hooks:
                early = process_view(request, match.func, match.args, match.kwargs)
                if is_async:
                    early = await early
                if early is not None:
                    return _checked(early, match.func)
        try:
            response = await self._call_view(request, match)
        except Exception as exc:
            response = await _process_exception(pipeline, request, exc)
            if response is None:
                raise
        return _checked(response, match.func)

    async def _call_view(self, request: Request, match: ResolverMatch) -> Any:
        if self._atomic:
            return await _call_atomic(match.view, request, match.args, match.kwargs)
        return await _call(match.view, request, match.args, match.kwargs)

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


async def _call(view: Callable[..., Any], request: Request, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Await an async view; run a sync one in the thread pool (in place under ``run_inline``)."""
    if not is_async_callable(view):
        return await run_sync(view, request, *args, **kwargs)
    if is_inline():  # a middleware sent a WSGI request meant for a sync view to an async one
        return async_to_sync(view)(request, *args, **kwargs)
    return await view(request, *args, **kwargs)


async def _process_exception(pipeline: Pipeline | None, request: Request, exc: Exception) -> Any:
    """The first response a ``process_exception`` hook gives for ``exc`` (innermost first), or None."""
    for process_exception, is_async in pipeline.exception_hooks if pipeline is not None else ():
        response = process_exception(request, exc)
        if is_async:
            response = await response
        if response is not None:
            return response
    return None


async def _call_atomic(
    view: Callable[..., Any], request: Request, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Call the view; commit the request's sessions if it returns, roll them back if it raises."""
    sessions = request_sessions(request)
    try:
        response = await _call(view, request, args, kwargs)
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
