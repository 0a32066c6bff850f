"""``duck routes``: the URL table, in matching order (pattern, name, methods, view, HTTP or WebSocket)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from duck.cli.project import check_project, configure_settings


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "routes",
        help="List the URL routes: pattern, name, methods, view, HTTP or WebSocket.",
        description="Print every route of ROOT_URLCONF in the order requests are matched against them.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--settings", metavar="MODULE", help="settings module, e.g. 'mysite.settings'")
    parser.set_defaults(handler=handle)
    return parser


def route_rows() -> list[dict[str, str]]:
    """One dict per route: pattern, name, methods, view, kind."""
    from duck.urls import get_resolver
    from duck.urls.table import callable_name

    rows = []
    for route in get_resolver().table.routes:
        pattern = route.pattern
        view = getattr(pattern, "endpoint", None) or pattern.callback
        kind = route_kind(pattern, view)
        methods = "GET" if kind == "WebSocket" else _methods(pattern.methods)
        name = ":".join([*route.namespaces, pattern.name]) if pattern.name else ""
        rows.append(
            {"pattern": route.text, "name": name, "methods": methods, "view": callable_name(view), "kind": kind}
        )
    return rows


def route_kind(pattern: Any, view: Any) -> str:
    """``"WebSocket"``, ``"HTTP+WebSocket"`` (dwebsocket's accept_websocket) or ``"HTTP"``."""
    from duck.contrib.websockets.routing import WebSocketRoute
    from duck.contrib.websockets.views import WebSocketView

    if isinstance(pattern, WebSocketRoute) or getattr(view, "require_websocket", False):
        return "WebSocket"
    view_class = view if isinstance(view, type) else getattr(view, "view_class", None)
    if isinstance(view_class, type) and issubclass(view_class, WebSocketView):
        return "WebSocket"
    if getattr(view, "accept_websocket", False):
        return "HTTP+WebSocket"
    return "HTTP"


def _methods(methods: frozenset[str] | None) -> str:
    return "any" if methods is None else ",".join(sorted(methods))


def handle(args: argparse.Namespace) -> int:
    configure_settings(args.settings)
    check_project()
    rows = route_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ("pattern", "name", "methods", "view", "kind")
    widths = {column: max([len(column), *(len(row[column]) for row in rows)]) for column in columns}
    print("  ".join(column.upper().ljust(widths[column]) for column in columns).rstrip())
    for row in rows:
        print("  ".join(row[column].ljust(widths[column]) for column in columns).rstrip())
    return 0
