"""What the test clients return: the view's response with its body already collected."""

from __future__ import annotations

import json
from typing import Any

from duck.http.datastructures import Headers
from duck.http.multipart import parse_options_header
from duck.http.request import Request
from duck.http.response import HttpResponse

__all__ = ["TestResponse"]


class TestResponse:
    """A duck response as a client received it.

    The body of every response, streaming or not, is collected into :attr:`content` (as a server
    would send it: empty for HEAD and for 204/304), so tests read all responses the same way.
    Any other attribute (``url`` of a redirect, ``cookies`` as set by the view, ...) is read from
    the original response, which is also available as :attr:`response`.

    Attributes:
        response: the :class:`~duck.http.response.HttpResponse` the dispatcher returned.
        request: the :class:`~duck.http.request.Request` that produced it.
        content: the body bytes.
        chunks: the body as the chunks the response produced (several for a stream).
        redirect_chain: ``(location, status)`` of each redirect followed to get here.
    """

    __test__ = False  # not a test class, despite its name: keep pytest from collecting it

    def __init__(self, response: HttpResponse, request: Request, chunks: list[bytes]) -> None:
        self.response = response
        self.request = request
        self.chunks = chunks
        self.content = b"".join(chunks)
        self.redirect_chain: list[tuple[str, int]] = []

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def reason_phrase(self) -> str:
        return self.response.reason_phrase

    @property
    def headers(self) -> Headers:
        """Every response header as sent, Content-Length and Set-Cookie included."""
        return Headers.from_raw(self.response.header_list())

    @property
    def charset(self) -> str:
        return parse_options_header(self.response.headers.get("content-type", ""))[1].get("charset") or "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with the charset of its Content-Type (UTF-8 by default)."""
        return self.content.decode(self.charset, "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.headers.get(name)
        return default if value is None else value

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class does not define: defer to the original response.
        if name.startswith("__") or name == "response":  # "response" unset: mid-construction or copy
            raise AttributeError(name)
        return getattr(self.response, name)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_code} {self.request.method} {self.request.get_full_path()!r}>"
