"""Plain views for the URL tests: resolve() returns them as given, nothing calls them."""

from __future__ import annotations


def home(request):
    return "home"


def item(request, id):
    return f"item {id}"


def other(request, *args, **kwargs):
    return "other"


def article(request, **kwargs):
    return "article"


class ChatSocket:
    """Stands in for a WebSocket view class: routes must hand back the class itself."""

    @classmethod
    def as_view(cls):
        """Routes build the view of a class when the URL conf loads (and keep the class as ``func``)."""

        def view(request, **kwargs):
            return "chat"

        view.view_class = cls
        return view
