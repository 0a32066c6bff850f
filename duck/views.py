"""Class-based views: one method per HTTP verb, 405 with ``Allow`` for the rest.

Handlers may be sync or async, mixed in one class (``def get`` + ``async def post``), as in
Starlette's endpoints: each runs the right way. A class whose handlers are all sync is served
like a sync view (the whole dispatch in the bounded thread pool); any async handler makes it
an async view, dispatched on the event loop, whose sync handlers go to the thread pool.

A class is checked when its view is built, which is when the URL conf is loaded (``path()``
builds the view of a class it is given): a mistake stops ``duck runserver``,
``get_wsgi_application()`` and ``get_asgi_application()`` with ``ImproperlyConfigured``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from duck.exceptions import ImproperlyConfigured, MethodNotAllowed
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.utils.sync import is_async_callable, run_sync

__all__ = ["KNOWN_HTTP_METHODS", "View"]

# Methods a handler may be named after, lower case: RFC 9110 §9, PATCH (RFC 5789) and WebDAV (RFC 4918).
KNOWN_HTTP_METHODS = frozenset(
    {"get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"}
    | {"propfind", "proppatch", "mkcol", "copy", "move", "lock", "unlock"}
)
# Hooks of duck.contrib.websockets.WebSocketView (and Starlette's WebSocketEndpoint): on a View
# they would never run, because a View answers HTTP requests only.
_WEBSOCKET_HOOKS = ("on_open", "on_receive", "on_close", "on_connect", "on_disconnect")


class View:
    """Dispatch a request to the method named after its HTTP verb (``get``, ``post``, ...).

    Register the class itself (``path("/items", ItemView)``) or ``ItemView.as_view(**attrs)``.
    Handlers may be sync or async, mixed; HEAD falls back to ``get``; OPTIONS lists the methods.
    """

    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"]

    def __init__(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            setattr(self, key, value)

    # -- the class -------------------------------------------------------------------------------
    @classmethod
    def _handlers(cls) -> dict[str, Callable[..., Any]]:
        """The handlers the class defines, by method name (OPTIONS, answered by View, left out)."""
        return {name: getattr(cls, name) for name in cls.http_method_names if name != "options" and hasattr(cls, name)}

    @classmethod
    def view_is_async(cls) -> bool:
        """Whether the view is async: dispatched on the event loop because a handler is ``async def``."""
        return any(is_async_callable(handler) for handler in cls._handlers().values())

    @classmethod
    def check_view_class(cls) -> None:
        """Refuse a class that could not answer requests (``as_view()`` calls it).

        Raises:
            ImproperlyConfigured: the message names the class and the fix.
        """
        name = cls.__qualname__
        _check_method_names(name, cls.http_method_names)
        for method in cls.http_method_names:
            if hasattr(cls, method):
                _check_handler(cls, method)
        handlers = cls._handlers()
        if handlers or cls.dispatch is not View.dispatch:  # a custom dispatch() answers by itself
            return
        hooks = [hook for hook in _WEBSOCKET_HOOKS if callable(getattr(cls, hook, None))]
        if hooks:
            raise ImproperlyConfigured(
                f"{name} defines {hooks[0]}(), a WebSocket handler, but subclasses duck.views.View, which answers "
                f"HTTP only: subclass duck.contrib.websockets.WebSocketView instead."
            )
        raise ImproperlyConfigured(
            f"{name} defines no handler: add a method named after an HTTP verb, such as "
            f"'def get(self, request): ...' (one of {', '.join(cls.http_method_names)})."
        )

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        """A view function that builds a fresh instance per request and dispatches.

        Raises:
            ImproperlyConfigured: the class is broken (see :meth:`check_view_class`), or ``initkwargs``
                names something that is not a class attribute, or a handler.
        """
        for key in initkwargs:
            if key in cls.http_method_names:
                raise ImproperlyConfigured(
                    f"{cls.__qualname__}.as_view() got {key!r}, a handler: define 'def {key}(self, request)' "
                    f"on the class instead."
                )
            if not hasattr(cls, key):
                raise ImproperlyConfigured(
                    f"{cls.__qualname__}.as_view() got {key!r}, which is not an attribute of {cls.__qualname__}: "
                    f"check the spelling, or declare it on the class ({key} = ...) first."
                )
        cls.check_view_class()

        if cls.view_is_async():

            async def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
                response = cls(**initkwargs).dispatch(request, *args, **kwargs)
                if inspect.isawaitable(response):
                    response = await response
                return response  # type: ignore[no-any-return]

        else:

            def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[misc]
                return cls(**initkwargs).dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

        return describe_view(view, cls, initkwargs)

    # -- a request -------------------------------------------------------------------------------
    def dispatch(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """Call the handler for ``request.method``: a response, or an awaitable one for an async view.

        Raises:
            MethodNotAllowed: the class has no handler for the method (405 with ``Allow``).
        """
        self.request, self.args, self.kwargs = request, args, kwargs
        method = request.method.lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None and method == "head":
            handler = getattr(self, "get", None)
        if handler is None:
            raise MethodNotAllowed(self.allowed_methods())
        builtin_options = getattr(handler, "__func__", None) is View.options  # never blocks
        if not builtin_options and not is_async_callable(handler) and _on_event_loop():
            # A sync handler of a view dispatched on the loop (an async view): it may block, so it
            # runs in the thread pool. A sync view's dispatch() already runs in a worker thread.
            return run_sync(handler, request, *args, **kwargs)
        return handler(request, *args, **kwargs)

    def allowed_methods(self) -> list[str]:
        names = [m.upper() for m in self.http_method_names if hasattr(self, m)]
        if "GET" in names and "HEAD" not in names:
            names.append("HEAD")
        return names

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """``Allow`` lists the methods; for an async view the response comes as an awaitable (as in Django)."""
        response = HttpResponse(status=200, headers={"allow": ", ".join(self.allowed_methods())})
        if self.view_is_async():

            async def immediate() -> HttpResponse:
                return response

            return immediate()
        return response


def _check_method_names(name: str, method_names: Any) -> None:
    if isinstance(method_names, str) or not isinstance(method_names, (list, tuple)):
        raise ImproperlyConfigured(
            f"{name}.http_method_names must be a list of lower-case method names such as ['get', 'post'], "
            f"not {method_names!r}."
        )
    for method in method_names:
        if method not in KNOWN_HTTP_METHODS:
            hint = (
                f" (write {method.lower()!r})"
                if isinstance(method, str) and method.lower() in KNOWN_HTTP_METHODS
                else ""
            )
            raise ImproperlyConfigured(
                f"{name}.http_method_names names {method!r}, which is not an HTTP method{hint}; "
                f"use lower-case names among {', '.join(sorted(KNOWN_HTTP_METHODS))}."
            )


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _check_handler(cls: type[View], method: str) -> None:
    name, handler = cls.__qualname__, getattr(cls, method)
    if not callable(handler):
        raise ImproperlyConfigured(
            f"{name}.{method} is {type(handler).__name__} {handler!r}, not a handler: "
            f"define 'def {method}(self, request): ...' (or remove {method!r} from http_method_names)."
        )
    if inspect.isasyncgenfunction(handler) or inspect.isgeneratorfunction(handler):
        raise ImproperlyConfigured(
            f"{name}.{method} is a generator function: return a response, e.g. "
            f"StreamingResponse(a_generator()) for a streamed body."
        )
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check
        return
    # A plain function is called on the instance: (self, request, *path parameters); a staticmethod,
    # a classmethod or a callable object gets the request first.
    takes_self = inspect.isfunction(handler) and not isinstance(inspect.getattr_static(cls, method), staticmethod)
    try:
        signature.bind_partial(*(None, None) if takes_self else (None,))
    except TypeError:
        raise ImproperlyConfigured(
            f"{name}.{method} cannot take the request: define it as 'def {method}(self, request, ...)', "
            f"with the URL's parameters after request."
        ) from None


def describe_view(view: Callable[..., Any], cls: type, initkwargs: dict[str, Any]) -> Callable[..., Any]:
    """Name the function ``as_view()`` built after its class, for tracebacks, ``duck routes`` and reverse lookups."""
    view.view_class = cls  # type: ignore[attr-defined]
    view.view_initkwargs = initkwargs  # type: ignore[attr-defined]
    view.__qualname__ = f"{cls.__qualname__}.as_view"
    view.__module__ = cls.__module__
    view.__doc__ = cls.__doc__
    return view
