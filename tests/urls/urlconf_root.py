"""Root URL conf of the URL tests (settings.ROOT_URLCONF)."""

from __future__ import annotations

from duck.urls import include, path
from tests.urls import urlconf_app
from tests.urls.views import ChatSocket, home

urlpatterns = [
    path("/", home, name="home"),
    path("/app/", include("tests.urls.urlconf_app")),
    path("/other-app/", include("tests.urls.urlconf_app", namespace="other")),
    path("/module/", include(urlconf_app, namespace="by_module")),
    path("/ws/{client_id}", ChatSocket, name="chat"),
]
