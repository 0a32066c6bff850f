"""Routes one view class that cannot answer anything (a typo: ``gett``)."""

from __future__ import annotations

from duck.http.response import PlainTextResponse
from duck.urls import path
from duck.views import View


class Typo(View):
    def gett(self, request):
        return PlainTextResponse("never")


urlpatterns = [path("/typo", Typo)]
