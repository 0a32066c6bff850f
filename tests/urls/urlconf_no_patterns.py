"""A URL conf module that forgot to define urlpatterns."""

from __future__ import annotations

routes = []
