"""A URL conf whose urlpatterns is not a list of routes."""

from __future__ import annotations

urlpatterns = "path('/', home)"
