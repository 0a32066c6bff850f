"""Class-based views: one method per HTTP verb, 405 with ``Allow`` for the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from duck.exceptions import ImproperlyConfigured, MethodNotAllowed
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.utils.sync import is_async_callable


class View:
    """Dispatch a request to the method named after its HTTP verb (``get``, ``post``, ...).

    Register the class itself (``path("/items", ItemView)``) or ``ItemView.as_view(**attrs)``.
    Handlers are either all sync or all async; HEAD falls back to ``get``.
    """

    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"]

    def __init__(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            setattr(self, key, value)

    @classmethod
    def _handlers(cls) -> list[Callable[..., Any]]:
        return [getattr(cls, name) for name in cls.http_method_names if name != "options" and hasattr(cls, name)]

    @classmethod
    def view_is_async(cls) -> bool:
        handlers = cls._handlers()
        if not handlers:
            return False
        kinds = {is_async_callable(handler) for handler in handlers}
        if len(kinds) > 1:
            raise ImproperlyConfigured(f"{cls.__qualname__} mixes sync and async handlers; make them all one kind.")
        return kinds.pop()

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        """A view function that builds a fresh instance per request and dispatches."""
        for key in initkwargs:
            if key in cls.http_method_names or not hasattr(cls, key):
                raise ImproperlyConfigured(f"as_view() got {key!r}, which is not an attribute of {cls.__qualname__}.")

        if cls.view_is_async():

            async def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
                return await cls(**initkwargs).dispatch(request, *args, **kwargs)

        else:

            def view(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[misc]
                return cls(**initkwargs).dispatch(request, *args, **kwargs)

        view.view_class = cls  # type: ignore[attr-defined]
        view.__qualname__ = f"{cls.__qualname__}.as_view"
        view.__module__ = cls.__module__
        view.__doc__ = cls.__doc__
        return view

    def dispatch(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        self.request, self.args, self.kwargs = request, args, kwargs
        method = request.method.lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None and method == "head":
            handler = getattr(self, "get", None)
        if handler is None:
            raise MethodNotAllowed(self.allowed_methods())
        return handler(request, *args, **kwargs)

    def allowed_methods(self) -> list[str]:
        names = [m.upper() for m in self.http_method_names if hasattr(self, m)]
        if "GET" in names and "HEAD" not in names:
            names.append("HEAD")
        return names

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        response = HttpResponse(status=200, headers={"allow": ", ".join(self.allowed_methods())})
        if self.view_is_async():

            async def immediate() -> HttpResponse:
                return response

            return immediate()
        return response
