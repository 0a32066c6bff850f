"""The technical error pages shown with ``DEBUG = True``: a 500 page worth reading, and the 404 page.

The 500 page puts the exception and its message at the top, then the frame of the project's own
code where it happened (highlighted, with source lines and local variables), then the whole
traceback with duck's, the standard library's and installed packages' frames collapsed, then
the request, the resolved route and the settings. Values of names that look secret (``*KEY*``,
``*SECRET*``, ``*PASSWORD*``, ``*TOKEN*``, cookies...) are masked everywhere. One HTML document,
CSS inline, no dependency; it fits a 1200 px window without horizontal scrolling.

Only :mod:`duck.core.exception` calls these, and only when DEBUG is on.
"""

from __future__ import annotations

import contextvars
import html
import linecache
import os
import platform
import re
import sysconfig
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import duck
from duck.conf import settings
from duck.conf.checks import MASK, looks_secret, masked
from duck.core.schema_hint import COMMANDS, schema_behind
from duck.exceptions import Resolver404
from duck.http.request import Request
from duck.http.response import HttpResponse

__all__ = ["technical_404", "technical_500"]

CONTEXT_LINES = 5  # source lines shown above and below the line of each frame
REPR_LIMIT = 400  # characters of a local variable's repr shown
_DUCK_DIR = str(Path(duck.__file__).resolve().parent) + os.sep
_LIBRARY_DIRS = tuple(
    sorted({str(Path(p).resolve()) + os.sep for k, p in sysconfig.get_paths().items() if k.endswith(("lib", "stdlib"))})
)
# user:password@ in URLs held by settings or variables (REDIS_URL = "redis://:pw@host/0").
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@/\s]+)@", re.IGNORECASE)
# Secret values are also hidden wherever else they show up on the page (a repr, a path, a source
# line), when at least this long: shorter ones are masked where they are named only.
MIN_REDACTED = 4
# The secret values of the page being built (see collect_secrets), longest first.
_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("duck_debug_secrets", default=())


@dataclass
class Frame:
    """One traceback entry, with what the page shows of it."""

    filename: str
    lineno: int
    function: str
    locals: dict[str, Any]
    own: bool  # the project's code, not duck's, the standard library's or an installed package's

    @property
    def shown_name(self) -> str:
        """The path relative to the current folder when inside it, else as it is."""
        try:
            return str(Path(self.filename).relative_to(Path.cwd()))
        except ValueError:
            return self.filename


def is_own_code(filename: str) -> bool:
    """Whether ``filename`` is the project's code rather than duck, the standard library or a package."""
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    return not resolved.startswith(_DUCK_DIR) and not resolved.startswith(_LIBRARY_DIRS)


def frames_of(tb: TracebackType | None) -> list[Frame]:
    frames = []
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        frames.append(Frame(code.co_filename, lineno, code.co_name, _locals(frame), is_own_code(code.co_filename)))
    return frames


def _locals(frame: FrameType) -> dict[str, Any]:
    try:
        return dict(frame.f_locals)
    except Exception:  # a frame whose locals cannot be read must not break the error page
        return {}


def exception_chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """``exc`` and the exceptions it was raised from or while handling, with how they link; outermost first."""
    chain: list[tuple[BaseException, str]] = [(exc, "")]
    seen = {id(exc)}
    current: BaseException | None = exc
    while current is not None:
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above was raised from this exception"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "The above was raised while handling this exception"
        else:
            break
        if id(current) in seen:
            break
        seen.add(id(current))
        chain.append((current, link))
    return chain


# -- values, masked ---------------------------------------------------------------------------------
def shown_value(name: str, value: Any, limit: int = REPR_LIMIT) -> str:
    """The repr of ``value`` for the page: masked when ``name`` looks secret, truncated, URL passwords hidden."""
    value = masked(name, value)
    if value == MASK:
        return MASK
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<repr() failed: {type(exc).__name__}>"
    text = _URL_PASSWORD.sub(lambda m: m["scheme"] + MASK + "@", text)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    return text


def collect_secrets(request: Request, frames: Iterable[Frame]) -> tuple[str, ...]:
    """Every secret value the page could show: of settings, headers, cookies, query parameters, locals."""
    found: set[str] = set()
    try:
        setting_values = settings.as_dict()
    except Exception:
        setting_values = {}
    for name, value in setting_values.items():
        _collect(name, value, found)
    for name, value in request.headers.items():
        _collect(name, value, found)
        if name.lower() == "authorization":
            found.add(value.partition(" ")[2])  # the credentials after "Bearer " / "Basic "
    found.update((_safe(lambda: request.COOKIES) or {}).values())
    for name, value in _safe(lambda: request.GET.multi_items()) or ():
        _collect(name, value, found)
    for frame in frames:
        for name, value in frame.locals.items():
            _collect(name, value, found)
    return tuple(sorted((v for v in found if len(v) >= MIN_REDACTED), key=len, reverse=True))


def _collect(name: str, value: Any, found: set[str], depth: int = 0) -> None:
    if isinstance(value, str):
        if looks_secret(name):
            found.add(value)
        found.update(match["password"] for match in _URL_PASSWORD.finditer(value))
    elif isinstance(value, Mapping) and depth < 3:
        for key, item in list(value.items())[:200]:
            _collect(str(key), item, found, depth + 1)


def _plain(name: str, value: str) -> str:
    return MASK if looks_secret(name) else value


# -- HTML ---------------------------------------------------------------------------------------------
def e(value: object) -> str:
    """Escape text for the page, with every secret value of the page masked first."""
    text = str(value)
    for secret in _secrets.get():
        if secret in text:
            text = text.replace(secret, MASK)
    return html.escape(text, quote=True)


def _table(rows: Iterable[tuple[str, str]], empty: str = "none") -> str:
    cells = "".join(f"<tr><th>{e(k)}</th><td><code>{e(v)}</code></td></tr>" for k, v in rows)
    return f"<table>{cells}</table>" if cells else f'<p class="dim">{e(empty)}</p>'


def _source(frame: Frame) -> str:
    lines = linecache.getlines(frame.filename)
    if not lines:
        return '<p class="dim">Source not available.</p>'
    start = max(frame.lineno - 1 - CONTEXT_LINES, 0)
    end = min(frame.lineno + CONTEXT_LINES, len(lines))
    out = []
    for number in range(start + 1, end + 1):
        current = ' class="current"' if number == frame.lineno else ""
        code = lines[number - 1].rstrip("\n")
        out.append(f'<div{current}><span class="ln">{number}</span><span class="src">{e(code)}</span></div>')
    return f'<div class="code">{"".join(out)}</div>'


def _frame(frame: Frame, culprit: bool = False) -> str:
    where = f'<span class="file">{e(frame.shown_name)}</span>, line {frame.lineno}, in <b>{e(frame.function)}</b>'
    variables = _table(((k, shown_value(k, v)) for k, v in frame.locals.items()), "No local variables.")
    body = (
        f'{_source(frame)}<details class="locals"{" open" if culprit else ""}><summary>Local variables'
        f" ({len(frame.locals)})</summary>{variables}</details>"
    )
    kind = "culprit" if culprit else ("own" if frame.own else "lib")
    is_open = " open" if frame.own else ""
    return f'<details class="frame {kind}"{is_open}><summary>{where}</summary>{body}</details>'


def _traceback(frames: list[Frame], culprit: Frame | None) -> str:
    """Every frame, most recent call last; runs of framework frames fold into one line."""
    out = []
    i = 0
    while i < len(frames):
        if frames[i] is culprit:  # shown open under "Where it happened": here, one line that points there
            where = f"{e(culprit.shown_name)}, line {culprit.lineno}, in <b>{e(culprit.function)}</b>"
            out.append(f'<p class="frame culprit pointer">{where} · <a href="#where">where it happened, above</a></p>')
            i += 1
            continue
        if frames[i].own:
            out.append(_frame(frames[i]))
            i += 1
            continue
        run = []
        while i < len(frames) and not frames[i].own:
            run.append(frames[i])
            i += 1
        label = f"{len(run)} frame{'s' if len(run) > 1 else ''} of duck, Python or packages"
        out.append(f'<details class="libs"><summary>{label}</summary>{"".join(_frame(f) for f in run)}</details>')
    return "".join(out)


def _request_section(request: Request) -> str:
    query = [(k, _plain(k, v)) for k, v in request.GET.multi_items()] if _safe(lambda: request.GET) else []
    headers = [(k, _plain(k, v)) for k, v in request.headers.items()]
    cookies = [(name, MASK) for name in _safe(lambda: request.COOKIES) or {}]
    client = f"{request.client[0]}:{request.client[1]}" if request.client else "-"
    summary = [
        ("Method", request.method),
        ("Path", request.path),
        ("Query string", _URL_PASSWORD.sub(lambda m: m["scheme"] + MASK + "@", request.query_string) or "(none)"),
        ("Client", client),
        ("Scheme", request.scheme),
    ]
    return (
        f"{_table(summary)}<h3>Query parameters</h3>{_table(query, 'No query parameters.')}"
        f"<h3>Headers</h3>{_table(headers)}<h3>Cookies</h3>{_table(cookies, 'No cookies.')}"
    )


def _safe(get: Any) -> Any:
    """A request attribute whose parsing may itself fail (a malformed query string): None then."""
    try:
        return get()
    except Exception:
        return None


def _route_section(request: Request) -> str:
    match = request.resolver_match
    if match is None:
        return '<p class="dim">No route was resolved: the error happened before the URL was matched.</p>'
    view = getattr(match.func, "__module__", "") + "." + getattr(match.func, "__qualname__", repr(match.func))
    rows = [
        ("Route", match.route),
        ("Name", match.view_name or "(unnamed)"),
        ("View", view),
        ("Arguments", shown_value("", match.kwargs) if match.kwargs else "(none)"),
    ]
    return _table(rows)


def _settings_section() -> str:
    try:
        values = settings.as_dict()
    except Exception:
        return '<p class="dim">Settings could not be loaded.</p>'
    rows = [(name, shown_value(name, value, 1000)) for name, value in sorted(values.items())]
    return (
        f"<details open><summary>{len(rows)} settings ({e(settings.SETTINGS_MODULE or 'configured in code')})"
        f"</summary>{_table(rows)}</details>"
    )


def _page(title: str, head: str, body: str, accent: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{e(title)}</title><style>{_CSS}</style></head>'
        f'<body><header style="background:{accent}">{head}</header><main>{body}'
        '<p class="footer">You see this page because <code>DEBUG = True</code> in your settings. '
        "With <code>DEBUG = False</code> visitors get a short page without any of these details; "
        "turn it off in production.</p></main></body></html>"
    )


def technical_500(request: Request, exc: BaseException) -> HttpResponse:
    """The DEBUG page for an exception raised while answering ``request``."""
    chain = exception_chain(exc)
    tracebacks = [frames_of(item.__traceback__) for item, _ in chain]
    token = _secrets.set(collect_secrets(request, (f for frames in tracebacks for f in frames)))
    try:
        page = _page_500(request, exc, chain, tracebacks)
    finally:
        _secrets.reset(token)
    return HttpResponse(page, status=500, content_type="text/html; charset=utf-8")


def _page_500(
    request: Request, exc: BaseException, chain: list[tuple[BaseException, str]], tracebacks: list[list[Frame]]
) -> str:
    frames = tracebacks[0]
    own = [f for f in frames if f.own]
    culprit = own[-1] if own else (frames[-1] if frames else None)
    name = type(exc).__qualname__
    module = type(exc).__module__
    full_name = name if module in ("builtins", "__main__") else f"{module}.{name}"
    where = ""
    if culprit is not None:
        where = f" · raised in <b>{e(culprit.shown_name)}</b>, line {culprit.lineno}, in <b>{e(culprit.function)}</b>"
    head = (
        f'<p class="kind">{e(full_name)}</p><h1>{e(str(exc)) or "<i>(no message)</i>"}</h1>'
        f'<p class="meta"><b>{e(request.method)} {e(request.get_full_path())}</b>{where}'
        f" · duck {e(duck.__version__)} · Python {e(platform.python_version())}</p>"
    )
    sections = []
    missing = schema_behind(exc)
    if missing is not None:
        sections.append(_schema_hint(missing))
    if culprit is not None:
        title = "Where it happened" + ("" if culprit.own else " (no frame of your own code: the innermost frame)")
        sections.append(_section(title, _frame(culprit, culprit=True), "culprit-section", "where"))
    for index, (item, link) in enumerate(chain):
        item_frames = tracebacks[index]
        item_own = [f for f in item_frames if f.own]
        heading = "Traceback (most recent call last)"
        if link:
            heading = f"{link}: {type(item).__qualname__}: {item}"
        current = culprit if index == 0 else (item_own[-1] if item_own else None)
        sections.append(_section(heading, _traceback(item_frames, current)))
    sections.append(_section("Request", _request_section(request)))
    sections.append(_section("Route", _route_section(request)))
    sections.append(_section("Settings", _settings_section()))
    return _page(f"{name} at {request.path}", head, "".join(sections), "#9f1c1c")


def _schema_hint(missing: str) -> str:
    """What to run when the error says the database lacks a table or column of the models."""
    body = (
        f"<p>The database says <code>{e(missing)}</code>: a model has a table or column that the database "
        "does not have yet. Write a migration for the change and apply it, in the project folder:</p>"
        f'<pre class="commands">{e(chr(10).join(COMMANDS))}</pre>'
        '<p class="dim">If the migration is written already, <code>duck db migrate</code> alone applies it. '
        "Then reload this page.</p>"
    )
    return _section("The database is behind your models", body, "hint", "hint")


def technical_404(request: Request, exc: Resolver404) -> HttpResponse:
    """The DEBUG page for a path no route matches: the routes tried, in order."""
    token = _secrets.set(collect_secrets(request, ()))
    try:
        page = _page_404(request, exc)
    finally:
        _secrets.reset(token)
    return HttpResponse(page, status=404, content_type="text/html; charset=utf-8")


def _page_404(request: Request, exc: Resolver404) -> str:
    head = (
        '<p class="kind">404 Page not found</p>'
        f"<h1>No route matches <code>{e(request.path)}</code></h1>"
        f'<p class="meta"><b>{e(request.method)} {e(request.get_full_path())}</b> · '
        f"URL conf <code>{e(_urlconf_name())}</code> · duck {e(duck.__version__)}</p>"
    )
    if exc.tried:
        items = "".join(f"<li><code>{e(route)}</code></li>" for route in exc.tried)
        tried = (
            f'<p>Routes tried, in this order; the first that matches the path wins:</p><ol class="routes">{items}</ol>'
        )
        if not request.path.endswith("/") and any(route == request.path + "/" for route in exc.tried):
            tried += f"<p>Did you mean <code>{e(request.path)}/</code>? Trailing slashes count.</p>"
    else:
        tried = "<p>The URL conf has no routes yet: add one to <code>urlpatterns</code>.</p>"
    body = _section("Routes", tried) + _section("Request", _request_section(request))
    return _page(f"404 {request.path}", head, body, "#8a5a00")


def _urlconf_name() -> str:
    urlconf = getattr(settings, "ROOT_URLCONF", "")
    return urlconf if isinstance(urlconf, str) else getattr(urlconf, "__name__", "(a list of routes)")


def _section(title: str, body: str, css_class: str = "", anchor: str = "") -> str:
    anchor_id = f' id="{anchor}"' if anchor else ""
    return f'<section class="{css_class}"{anchor_id}><h2>{e(title)}</h2>{body}</section>'


_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{color:#fff;padding:22px 32px 18px}
header h1{margin:4px 0 8px;font-size:24px;font-weight:600;white-space:pre-wrap;overflow-wrap:anywhere}
header .kind{margin:0;font:600 14px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;opacity:.85}
header .meta{margin:0;font-size:14px;opacity:.9;overflow-wrap:anywhere}
header code{background:rgba(255,255,255,.15);padding:0 4px;border-radius:4px}
main{max-width:1160px;margin:0 auto;padding:20px 24px 40px}
section{background:#fff;border:1px solid #d8dce1;border-radius:8px;padding:14px 18px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14px;margin:14px 0 6px;color:#57606a}
code,.code,.file{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{text-align:left;vertical-align:baseline;padding:4px 8px;border-top:1px solid #eaeef2;overflow-wrap:anywhere}
th{width:260px;font:600 13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#424a53}
td code{white-space:pre-wrap}
details{margin:6px 0}
summary{cursor:pointer;padding:4px 6px;border-radius:4px}
summary:hover{background:#f3f4f6}
.frame{border-left:4px solid #d0d7de;padding-left:10px}
.frame.own{border-left-color:#4a7bd0}
.frame.culprit{border-left-color:#cf222e;background:#fff8f7}
.frame.lib summary,.libs>summary{color:#6e7781;font-size:13px}
.pointer{margin:6px 0;padding:4px 10px;font-size:14px}
a{color:#0b5cad}
.code{background:#f6f8fa;border:1px solid #eaeef2;border-radius:6px;padding:6px 0;margin:6px 0}
.code div{display:flex;white-space:pre-wrap;overflow-wrap:anywhere}
.code .ln{flex:0 0 48px;text-align:right;padding-right:12px;color:#8c959f;user-select:none}
.code .src{flex:1;min-width:0}
.code .current{background:#ffebe9;box-shadow:inset 3px 0 #cf222e;font-weight:600}
.locals summary{font-size:13px;color:#57606a}
.culprit-section{border-color:#f0b4b4}
.dim{color:#6e7781}
.routes{font-size:14px}
.routes li{padding:1px 0}
.footer{color:#57606a;font-size:13px}
.hint{background:#fff8c5;border-color:#d4a72c}
.hint p{margin:6px 0}
.hint .dim{color:#57606a}
.hint code{background:rgba(212,167,44,.18);padding:0 4px;border-radius:4px}
.commands{background:#1f2328;color:#f6f8fa;border-radius:6px;padding:10px 14px;margin:8px 0;
font:13px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap}
"""
