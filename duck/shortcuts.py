"""Shortcuts for views: render a template, redirect to a URL or a route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from duck.exceptions import NoReverseMatch
from duck.http.response import HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, RedirectResponse
from duck.template.loader import render_to_string

if TYPE_CHECKING:
    from collections.abc import Sequence

    from duck.http.request import Request

__all__ = ["redirect", "render", "resolve_url"]


def render(
    request: Request | None,
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    content_type: str | None = None,
) -> HttpResponse:
    """Render ``template_name`` with ``context`` (plus ``request``) into an HTML response.

    Raises:
        jinja2.TemplateNotFound: no ``TEMPLATES`` folder holds the template (answered with 500).
    """
    content = render_to_string(template_name, context, request=request)
    return HttpResponse(content, status=status, content_type=content_type)


def resolve_url(to: Any, /, *args: Any, **kwargs: Any) -> str:
    """Turn a route name, an object with ``get_absolute_url()`` or a URL into a URL.

    A string is first tried as a route name (``"item"``, ``"api:item"``) with ``args``/``kwargs``;
    if no route has that name and it looks like a URL (contains ``/`` or ``.``), it is one.

    Raises:
        NoReverseMatch: ``to`` is neither a route name nor URL-like.
    """
    get_absolute_url = getattr(to, "get_absolute_url", None)
    if callable(get_absolute_url):
        return str(get_absolute_url())
    target = str(to)
    if target.startswith(("/", "./", "../", "http://", "https://")) and not args and not kwargs:
        return target  # unmistakably a URL: no need to consult the URL conf
    from duck.urls import reverse

    try:
        return str(reverse(target, args=args or None, kwargs=kwargs or None))
    except NoReverseMatch:
        if "/" not in target and "." not in target:
            raise
    return target


def redirect(to: Any, /, *args: Any, permanent: bool = False, **kwargs: Any) -> RedirectResponse:
    """Redirect (302, or 301 with ``permanent=True``) to a URL or a named route.

    ``redirect("item", id=3)`` reverses the route ``item``; ``redirect("/login")`` and
    ``redirect("https://example.com/")`` go where they say.
    """
    url = resolve_url(to, *args, **kwargs)
    if permanent:
        return HttpResponsePermanentRedirect(url)
    return HttpResponseRedirect(url)
