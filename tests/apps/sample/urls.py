"""Routes of the sample project."""

from __future__ import annotations

from duck.urls import path
from tests.apps.sample import views

urlpatterns = [
    path("/hello", views.hello, name="hello"),
    path("/greet/<str:name>", views.greet, name="greet"),
    path("/items/<int:id>", views.item, name="item"),
    path("/things", views.Things, name="things"),
    path("/mixed", views.Mixed, name="mixed"),
    path("/echo-json", views.echo_json, methods=["POST"]),
    path("/upload", views.upload, methods=["POST"]),
    path("/missing", views.missing),
    path("/only-get", views.only_get, methods=["GET"]),
    path("/boom", views.boom),
    path("/stream", views.stream),
    path("/ticks", views.ticks),
    path("/cookies", views.show_cookies),
    path("/cookies/set", views.set_cookie),
    path("/cookies/clear", views.clear_cookie),
    path("/old", views.old),
    path("/go/<int:status>", views.go),
    path("/echo", views.echo),
    path("/ws/plain", views.websocket_only),
    path("/ws/hello", views.websocket_hello),
]
