"""Routes of the dwebsocket README examples (echo_once.py and lower_case.py, as written there)."""

from duck.urls import path
from examples.dwebsocket_views.echo_once import echo_once
from examples.dwebsocket_views.lower_case import lower_case

urlpatterns = [
    path("/echo_once", echo_once, name="echo_once"),
    path("/lower_case", lower_case, name="lower_case"),
]
