"""Functions every template can call: ``url()`` and ``static()``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from duck.conf import settings

# Characters kept as-is in static paths: RFC 3986 sub-delims plus ":" and "@" (valid in a path
# segment, section 3.3), so file names round-trip while spaces and the like are encoded.
_SAFE_PATH_CHARS = "/:@!$&'()*+,;=-._~"


def url(route_name: str, /, *args: Any, **kwargs: Any) -> str:
    """The path of the named route: ``{{ url("item", id=3) }}`` -> ``/items/3``.

    The route name is positional-only, so a route parameter may itself be called ``name``.

    Raises:
        NoReverseMatch: no route has that name or accepts these arguments.
    """
    from duck.urls import reverse  # the URL conf imports views, which may import templates

    return reverse(route_name, args=args or None, kwargs=kwargs or None)


def static(path: str) -> str:
    """The URL of a static file: ``{{ static("css/style.css") }}`` -> ``/static/css/style.css``.

    ``path`` is percent-encoded and joined to ``STATIC_URL``; an absolute URL is returned as is.
    """
    if path.startswith(("http://", "https://", "//")):
        return path
    prefix = str(settings.STATIC_URL or "/static/")
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix + quote(path.lstrip("/"), safe=_SAFE_PATH_CHARS)
