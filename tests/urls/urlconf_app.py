"""An app's URL conf: its app_name is the default namespace when it is include()d."""

from __future__ import annotations

from duck.urls import include, path
from tests.urls.views import home, item

app_name = "app"

urlpatterns = [
    path("/", home, name="index"),
    path("/items/<int:id>", item, name="item"),
    path("/nested/", include("tests.urls.urlconf_inner")),
]
