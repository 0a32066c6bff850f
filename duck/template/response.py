"""``TemplateResponse``: a response whose body is rendered as late as possible.

Middleware can still change ``template_name`` or ``context_data`` after the view returned;
the body is rendered the first time anything needs it (``.content``, ``header_list()``,
iteration), so every front door sends it without knowing about templates.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from duck.http.response import HttpResponse
from duck.template.loader import render_to_string

if TYPE_CHECKING:
    from duck.http.request import Request


class TemplateResponse(HttpResponse):
    """An HTML response rendered from a template on first use.

    Args:
        request: the request, available to the template as ``request``.
        template: a template name, or a list of names tried in order.
        context: the template's variables (kept by reference as ``context_data``).
        status, content_type, headers, charset: as for :class:`~duck.http.response.HttpResponse`.
    """

    def __init__(
        self,
        request: Request | None,
        template: str | Sequence[str],
        context: dict[str, Any] | None = None,
        status: int = 200,
        content_type: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        charset: str = "utf-8",
    ) -> None:
        super().__init__(b"", status=status, headers=headers, content_type=content_type, charset=charset)
        self.request = request
        self.template_name = template
        self.context_data: dict[str, Any] = context if context is not None else {}
        self._is_rendered = False  # the base constructor's empty body is not a rendering

    @property
    def is_rendered(self) -> bool:
        return self._is_rendered

    @property
    def rendered_content(self) -> str:
        """The template rendered with the current ``context_data`` (not stored)."""
        return render_to_string(self.template_name, self.context_data, request=self.request)

    def render(self) -> TemplateResponse:
        """Render the body now, once; later calls keep the first rendering."""
        if not self._is_rendered:
            self.content = self.rendered_content
        return self

    @property
    def content(self) -> bytes:
        self.render()
        return self._content

    @content.setter
    def content(self, value: bytes | str) -> None:
        HttpResponse.content.fset(self, value)  # type: ignore[attr-defined]
        self._is_rendered = True

    def header_list(self) -> list[tuple[bytes, bytes]]:
        self.render()  # Content-Length needs the body
        return super().header_list()

    async def iter_async(self) -> AsyncGenerator[bytes, None]:
        self.render()
        yield self._content

    def iter_sync(self) -> Iterator[bytes]:
        self.render()
        yield self._content
