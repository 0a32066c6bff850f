"""Routes of the faces project: dwebsocket views by path(), @websocket handlers as they are."""

from __future__ import annotations

from duck.urls import path
from tests.contrib.websockets.faces.project import routes, views

urlpatterns = [
    path("/dws/echo_once", views.echo_once),
    path("/dws/lower_case", views.lower_case),
    path("/dws/probe", views.probe),
    path("/dws/slow", views.slow),
    path("/dws/async_echo", views.async_echo),
    path("/dws/raising", views.raising),
    path("/dws/plain", views.plain_view),
    path("/dws/opted_in", views.opted_in),
    path("/events/<str:name>", views.event_view),
    routes.chat_socket,
    routes.never_accepts,
    routes.raises,
    routes.details,
    routes.text_only,
    routes.bytes_echo,
    routes.disconnect_probe,
]
