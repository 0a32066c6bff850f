"""Static files: find them (``STATICFILES_DIRS``), serve them in development, collect them for production.

``{{ static("css/style.css") }}`` in a template gives the URL; ``duck runserver`` with DEBUG
serves it (:class:`~duck.staticfiles.middleware.StaticFilesMiddleware`, which the front doors put
innermost in the middleware chain); ``duck collectstatic`` copies everything into
``STATIC_ROOT`` for nginx. See docs/templates-and-static.md.
"""

from __future__ import annotations

from duck.staticfiles.collect import CollectResult, collect, static_root
from duck.staticfiles.finders import find, iter_files, safe_relative_path, static_dirs
from duck.staticfiles.middleware import StaticFilesMiddleware
from duck.staticfiles.views import serve, should_serve_static, static_prefix

__all__ = [
    "CollectResult",
    "StaticFilesMiddleware",
    "collect",
    "find",
    "iter_files",
    "safe_relative_path",
    "serve",
    "should_serve_static",
    "static_dirs",
    "static_prefix",
    "static_root",
]
