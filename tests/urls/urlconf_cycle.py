"""A URL conf that includes itself: refused when the route table is built."""

from __future__ import annotations

from duck.urls import include, path

urlpatterns = [
    path("/again/", include("tests.urls.urlconf_cycle")),
]
