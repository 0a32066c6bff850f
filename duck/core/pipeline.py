"""The middleware pipeline, built once: hooks run in a flat loop, only true wrappers stay layers.

Each middleware in ``MIDDLEWARE`` is called once with ``get_response`` (Django's protocol), and what
it returns is sorted by what it defines:

* **hooks only**, a :class:`~duck.http.middleware.MiddlewareMixin` subclass (or any object with
  hooks and no ``__call__``): ``process_request(request)`` runs before what is inside it and ``process_response(request,
  response)`` after; the hooks of neighbouring such middleware run in one loop, with no coroutine
  or layer per middleware;
* **a wrapper**, any other callable (a function or a class with ``__call__``, sync or async): a layer
  of the onion, given the request and calling ``get_response`` for everything inside it. Keep this
  for what truly wraps: a transaction, a ``try`` around the rest, a context manager;
* either kind may also define ``process_view(request, view, args, kwargs)`` (after the URL is
  resolved, outermost first; a response returned is used instead of calling the view) and
  ``process_exception(request, exception)`` (when the view raises, innermost first; the first
  response returned is used instead of the error).

Ordering and errors are Django's: a ``process_request`` that returns a response skips every inner
middleware and the view, and the ``process_response`` of its own middleware and of the outer ones
still run; an exception raised by a hook or a layer becomes a response at once
(:func:`~duck.core.exception.response_for_exception`), which the outer middleware then see.

Sync ``process_request``/``process_response`` hooks and sync layers run in the thread pool (they
may block), async ones on the loop; ``process_view`` and ``process_exception`` are called in place
(awaited when async), so a sync one must be quick. Which is which is decided here, once, not per
request. Under WSGI a request may run without an event loop
(:func:`duck.utils.sync.run_inline`) when every part of the pipeline allows it: sync parts do, async
ones when they declare ``needs_event_loop = False`` (they await nothing but ``run_sync``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from duck.core.exception import response_for_exception
from duck.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.utils.sync import async_to_sync, is_async_callable, is_inline, run_inline, run_sync

__all__ = ["MiddlewareMixin", "Pipeline", "build_pipeline"]

logger = logging.getLogger("duck.request")

Layer = Callable[[Request], Awaitable[HttpResponse]]
Hook = Callable[..., Awaitable[Any]]
# process_view / process_exception and whether to await it: called in place on the loop, as ever.
ViewHook = tuple[Callable[..., Any], bool]
# A middleware as Django defines it: called once with get_response, returns the callable layer.
MiddlewareFactory = Callable[[Callable[[Request], Any]], Any]

HOOKS = ("process_request", "process_response", "process_view", "process_exception")


@dataclass(frozen=True)
class Pipeline:
    """The built chain and the view-side hooks, as the dispatcher runs them."""

    chain: Layer
    view_hooks: tuple[ViewHook, ...]  # process_view, outermost first
    exception_hooks: tuple[ViewHook, ...]  # process_exception, innermost first
    needs_event_loop: bool  # False: every part runs under run_inline (WSGI, sync views)


class _GetResponse:
    """The ``get_response`` handed to a middleware; what it calls is bound once the middleware is known.

    A sync layer runs in a worker thread (or inline under WSGI) and gets a blocking call; an async
    one gets the next layer itself.
    """

    __slots__ = ("_blocking", "_next")

    def __init__(self) -> None:
        self._next: Layer | None = None
        self._blocking: Callable[[Request], HttpResponse] | None = None

    def bind(self, layer: Layer, *, sync_caller: bool) -> None:
        self._next = layer
        self._blocking = async_to_sync(layer) if sync_caller else None

    def __call__(self, request: Request) -> Any:
        if self._next is None:
            raise ImproperlyConfigured("A middleware called get_response while the chain was being built.")
        if self._blocking is None:
            return self._next(request)
        if is_inline():
            return run_inline(cast(Any, self._next(request)))
        return self._blocking(request)


class _Flat:
    """A run of hook middleware around ``inner``: the before hooks outermost first, then ``inner``,
    then the after hooks innermost first, each with its own exception boundary (free in Python 3.11).

    ``entries`` are (process_request, process_response) per middleware, outermost first.
    """

    __slots__ = ("_afters", "_befores", "_count", "_inner")

    def __init__(self, entries: Sequence[tuple[Hook | None, Hook | None]], inner: Layer) -> None:
        self._befores = tuple((index, before) for index, (before, _) in enumerate(entries) if before is not None)
        self._afters = tuple((index, after) for index, (_, after) in reversed(list(enumerate(entries))) if after)
        self._count = len(entries)
        self._inner = inner

    async def __call__(self, request: Request) -> HttpResponse:
        ran = self._count  # how many middleware, outermost first, get their process_response
        response: HttpResponse | None = None
        for index, before in self._befores:
            try:
                response = await before(request)
                if response is not None:
                    ran = index + 1
                    response = _checked_hook_result(response, before)
                    break
            except Exception as exc:
                ran = index  # a hook that raised: its own middleware's process_response is skipped
                response = response_for_exception(request, exc)
                break
        if response is None:
            try:
                response = await self._inner(request)
            except Exception as exc:
                response = response_for_exception(request, exc)
        for index, after in self._afters:
            if index < ran:
                try:
                    response = _checked_hook_result(await after(request, response), after)
                except Exception as exc:
                    response = response_for_exception(request, exc)
        return response


def _checked_hook_result(response: Any, hook: Any) -> HttpResponse:
    if isinstance(response, HttpResponse):
        return response
    raise TypeError(f"Middleware hook {_name_of(hook)} returned {type(response).__name__}, not an HttpResponse.")


def build_pipeline(factories: Sequence[MiddlewareFactory], core: Layer) -> Pipeline:
    """Call each factory once (innermost first, so each gets what is inside it) and sort the results.

    Raises:
        ImproperlyConfigured: a factory returned something that is neither callable nor hooks.
    """
    inner = core
    pending: list[tuple[Hook | None, Hook | None]] = []  # hook middleware not yet in a _Flat, innermost first
    view_hooks: list[ViewHook] = []
    exception_hooks: list[ViewHook] = []
    needs_loop = False
    for factory in reversed(factories):
        get_response = _GetResponse()
        try:
            instance = factory(get_response)
        except MiddlewareNotUsed as exc:
            logger.debug("Middleware %r is not used: %s", factory, exc)
            continue
        hooks = {name: getattr(instance, name, None) for name in HOOKS}
        if _is_hooks_only(instance, hooks):
            get_response.bind(_Flat(pending[::-1], inner), sync_caller=False)
            before, after = _adapted(hooks["process_request"]), _adapted(hooks["process_response"])
            if before is not None or after is not None:
                pending.append((before, after))
            parts = [hooks[name] for name in HOOKS]
        elif callable(instance):
            inner = _Flat(pending[::-1], inner)  # also the exception boundary of the layer's inside
            pending = []
            sync = not is_async_callable(instance)
            get_response.bind(inner, sync_caller=sync)
            inner = cast(Layer, functools.partial(run_sync, instance)) if sync else instance
            parts = [instance, hooks["process_view"], hooks["process_exception"]]
        else:
            raise ImproperlyConfigured(f"Middleware {_name_of(factory)!r} returned a non-callable {instance!r}.")
        if (process_view := hooks["process_view"]) is not None:
            view_hooks.append((process_view, is_async_callable(process_view)))
        if (process_exception := hooks["process_exception"]) is not None:
            exception_hooks.append((process_exception, is_async_callable(process_exception)))
        needs_loop = needs_loop or _needs_event_loop(instance, parts)
    return Pipeline(_Flat(pending[::-1], inner), tuple(view_hooks[::-1]), tuple(exception_hooks), needs_loop)


def _is_hooks_only(instance: Any, hooks: dict[str, Any]) -> bool:
    if isinstance(instance, MiddlewareMixin) and type(instance).__call__ is MiddlewareMixin.__call__:
        return True
    return not callable(instance) and any(hook is not None for hook in hooks.values())


def _adapted(hook: Callable[..., Any] | None) -> Hook | None:
    """``hook`` as an async callable: itself if async, else run in the thread pool (it may block)."""
    if hook is None or is_async_callable(hook):
        return hook
    return cast(Hook, functools.partial(run_sync, hook))


def _needs_event_loop(instance: Any, parts: list[Any]) -> bool:
    if getattr(instance, "needs_event_loop", True) is False:
        return False
    return any(part is not None and is_async_callable(part) for part in parts)


def _name_of(obj: Any) -> str:
    if isinstance(obj, functools.partial):  # a sync hook adapted with run_sync
        obj = obj.args[0]
    obj = getattr(obj, "__func__", obj)
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
