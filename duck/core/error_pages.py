"""The pages visitors see for an error status: the project's ``<status>.html``, else duck's own.

A project overrides the page of any status with a template of that name in its ``TEMPLATES``
folders (``404.html``, ``500.html``, ``403.html``...), as in Django. The template sees ``status``,
``reason`` (``"Not Found"``), ``message`` (a short text safe to show, or ``""``) and ``request``
(when there is one). Should that template fail to render, the error is logged and duck's own
page is sent instead: an error page must not itself become an error.

duck's own page is one small HTML document, CSS inline, nothing loaded from elsewhere, and nothing
internal on it (no exception, no path, no setting): it is what production visitors see.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import jinja2

from duck.http.status import reason_phrase
from duck.template.loader import get_template

if TYPE_CHECKING:
    from duck.http.request import Request

logger = logging.getLogger("duck.request")

__all__ = ["error_page"]

# What each status means to a visitor, in one sentence; other statuses get their class's sentence.
EXPLANATIONS = {
    400: "The server could not understand the request.",
    401: "You need to log in to see this page.",
    403: "You do not have permission to see this page.",
    404: "There is no page at this address. Check it for typos, or start again from the home page.",
    405: "This address does not accept this kind of request.",
    413: "The request is larger than this server accepts.",
    429: "Too many requests in a short time. Wait a moment, then try again.",
    500: "Something went wrong on our side. Please try again in a moment.",
    502: "The server got a bad answer from another server. Please try again in a moment.",
    503: "The service is unavailable for a moment. Please try again shortly.",
    504: "The server did not get an answer in time. Please try again in a moment.",
}
_CLIENT_ERROR = "The request could not be completed."
_SERVER_ERROR = "The server could not complete the request. Please try again in a moment."


def error_page(status: int, message: str | None = None, request: Request | None = None) -> str:
    """The HTML of the page for ``status``: the project's ``<status>.html`` when it has one, else duck's."""
    reason = reason_phrase(status)
    shown = message if message and message != reason else ""
    custom = _custom_page(status, reason, shown, request)
    return custom if custom is not None else builtin_page(status, reason, shown)


def _custom_page(status: int, reason: str, message: str, request: Request | None) -> str | None:
    name = f"{status}.html"
    try:
        template = get_template(name)
    except jinja2.TemplateNotFound:
        return None
    except Exception:  # TEMPLATES itself is broken: the visitor still gets a page
        logger.exception("Loading the template %s failed; sending duck's built-in %s page", name, status)
        return None
    context: dict[str, Any] = {"status": status, "reason": reason, "message": message}
    if request is not None:
        context["request"] = request
    try:
        return template.render(context)
    except Exception:
        logger.exception("The template %s failed to render; sending duck's built-in %s page", name, status)
        return None


def builtin_page(status: int, reason: str, message: str = "") -> str:
    """duck's own page for ``status``: the status, what it means for the visitor, ``message`` if any."""
    explanation = EXPLANATIONS.get(status) or (_SERVER_ERROR if status >= 500 else _CLIENT_ERROR)
    detail = f'<p class="message">{html.escape(message)}</p>' if message else ""
    kind = "server" if status >= 500 else "client"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{status} {html.escape(reason)}</title>'
        f"<style>{_CSS}</style></head>"
        f'<body><main class="{kind}"><p class="status">{status}</p><h1>{html.escape(reason)}</h1>'
        f"<p>{html.escape(explanation)}</p>{detail}</main></body></html>"
    )


_CSS = """
*{box-sizing:border-box}
html{height:100%}
body{margin:0;min-height:100%;display:flex;align-items:center;justify-content:center;padding:24px;
background:#f4f5f7;color:#1f2328;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:520px;background:#fff;border:1px solid #d8dce1;border-radius:10px;
border-top:6px solid #8a5a00;padding:28px 32px 26px;box-shadow:0 8px 24px rgba(31,35,40,.06)}
main.server{border-top-color:#9f1c1c}
.status{margin:0;font:700 44px/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#8a5a00}
.server .status{color:#9f1c1c}
h1{margin:10px 0 10px;font-size:22px;font-weight:600}
p{margin:0 0 8px;color:#424a53}
.message{margin-top:14px;padding:10px 12px;background:#f6f8fa;border:1px solid #eaeef2;border-radius:6px;
color:#1f2328;overflow-wrap:anywhere}
"""
