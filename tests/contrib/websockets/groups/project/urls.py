"""Routes of the groups project: one per face of a connection, plus HTTP views that broadcast."""

from __future__ import annotations

from duck.urls import path
from tests.contrib.websockets.groups.project import views

urlpatterns = [
    path("/ws/lobby", views.Lobby),
    path("/ws/quiet/<str:group>", views.Quiet),
    views.starlette_member,
    path("/dws/async/<str:group>", views.dwebsocket_async_member),
    path("/dws/sync/<str:group>", views.dwebsocket_sync_member),
    path("/http/send/<str:group>", views.http_send),
    path("/http/send-sync/<str:group>", views.http_send_sync),
    path("/http/members/<str:group>", views.members),
]
