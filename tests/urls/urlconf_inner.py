"""Innermost URL conf: included by urlconf_app under namespace 'inner' (from its app_name)."""

from __future__ import annotations

from duck.urls import path
from tests.urls.views import other

app_name = "inner"

urlpatterns = [
    path("/detail/<slug:slug>", other, name="detail"),
]
