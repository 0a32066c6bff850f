"""``StaticFilesMiddleware``: development serving of ``STATIC_URL``, as an ordinary middleware.

duck's front doors (``duck runserver``, ``get_wsgi_application()``, ``get_asgi_application()`` and
the test client) put it innermost in the chain, inside ``MIDDLEWARE``, so a static file is answered
before any route is tried and still passes every project middleware on its way out (compression,
security headers). It takes itself out of the chain when serving is off (``SERVE_STATIC``, by
default DEBUG), so production pays nothing for it; the chain is rebuilt when settings change.

The core dispatcher knows nothing of static files: the front doors hand it this middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from duck.exceptions import MiddlewareNotUsed
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.staticfiles.views import serve, should_serve_static, static_prefix

__all__ = ["StaticFilesMiddleware"]


class StaticFilesMiddleware(MiddlewareMixin):
    """Answer requests under ``STATIC_URL`` from the ``STATICFILES_DIRS`` finders (see :func:`serve`).

    Raises:
        MiddlewareNotUsed: (when the chain is built) serving is off, or STATIC_URL names another host.
        ImproperlyConfigured: (when the chain is built) STATIC_URL would hide every route (``"/"``).
    """

    needs_event_loop = False  # its hook awaits nothing

    def __init__(self, get_response: Callable[[Request], Awaitable[HttpResponse]]) -> None:
        super().__init__(get_response)
        if not should_serve_static():
            raise MiddlewareNotUsed("static files are not served by this process (SERVE_STATIC, DEBUG)")
        prefix = static_prefix()
        if prefix is None:
            raise MiddlewareNotUsed("STATIC_URL names another host, which serves the files")
        self.prefix = prefix

    async def process_request(self, request: Request) -> HttpResponse | None:
        path = request.path
        if not path.startswith(self.prefix) or request.is_websocket():
            return None
        # Http404 and MethodNotAllowed go to the dispatcher's one exception-to-response place.
        return serve(request, path[len(self.prefix) :])

    def __repr__(self) -> str:
        return f"<StaticFilesMiddleware {self.prefix!r}>"
