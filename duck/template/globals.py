"""Functions every template can call: ``url()``, ``static()``, ``csrf_token()`` and ``csrf_input()``."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured

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


@jinja2.pass_context
def csrf_token(context: Any) -> str:
    """The CSRF token of the request being rendered (for JavaScript's ``X-CSRFToken`` header).

    Raises:
        ImproperlyConfigured: the template was rendered without a request, or without CSRF protection.
    """
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured("csrf_token() needs the request: render the template with render(request, ...).")
    try:
        return str(request.csrf_token)  # provided by duck.middleware.csrf
    except AttributeError:
        raise ImproperlyConfigured(
            "csrf_token() needs 'duck.middleware.csrf.CsrfViewMiddleware' (and SessionMiddleware) in MIDDLEWARE."
        ) from None


@jinja2.pass_context
def csrf_input(context: Any) -> Markup:
    """``<input type="hidden" name="csrfmiddlewaretoken" value="...">``: put it in every POST form."""
    token = csrf_token(context)
    return Markup(f'<input type="hidden" name="{html.escape(settings.CSRF_FIELD_NAME)}" value="{html.escape(token)}">')
