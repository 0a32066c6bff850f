"""``LoginRequiredMixin`` for class-based views: ``class Profile(LoginRequiredMixin, View)``."""

from __future__ import annotations

from typing import Any

from duck.auth.decorators import refusal_for_anonymous
from duck.http.request import Request

__all__ = ["LoginRequiredMixin"]


class LoginRequiredMixin:
    """Refuse anonymous visitors before any handler runs, as ``@login_required`` does.

    Put it first among the bases so its ``dispatch`` runs before the view's.
    """

    def dispatch(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        refusal = refusal_for_anonymous(request)
        if refusal is None:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if getattr(type(self), "view_is_async", lambda: False)():

            async def refused() -> Any:
                return refusal

            return refused()
        return refusal
