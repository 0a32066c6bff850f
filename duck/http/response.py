"""Responses: pure data that a front door (duck's server, WSGI, ASGI) turns into bytes on the wire.

``HttpResponse`` holds a complete body; ``StreamingResponse`` and ``FileResponse`` yield chunks
from a sync or async iterator, consumed with :meth:`iter_async` (async front doors) or
:meth:`iter_sync` (WSGI), so a big body is never held in memory.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import mimetypes
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import quote, urlsplit

from duck.http.cookies import format_set_cookie
from duck.http.datastructures import Headers
from duck.http.status import reason_phrase
from duck.http.upgrade import Upgrade
from duck.utils.sync import run_sync

# Statuses whose responses never carry a body (RFC 9110 §6.4.1).
NO_BODY_STATUSES = frozenset({204, 304}) | frozenset(range(100, 200))
_CHUNK_SIZE = 64 * 1024


# The date a deleted cookie expired at, for clients that ignore Max-Age=0.
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


class HttpResponse:
    """A response with its whole body in memory.

    Args:
        content: the body; ``str`` is encoded with ``charset``.
        status: the status code; its reason phrase is always sent.
        headers: extra headers (mapping or pairs).
        content_type: the Content-Type; defaults to ``text/html; charset=utf-8``.
    """

    streaming = False
    default_content_type = "text/html"
    # CompressionMiddleware: None follows its rules, False never compresses this response, True also
    # compresses it when streaming (Server-Sent Events included).
    compress: bool | None = None

    def __init__(
        self,
        content: bytes | str = b"",
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        reason: str | None = None,
        charset: str = "utf-8",
    ) -> None:
        if not 100 <= int(status) <= 599:
            raise ValueError(f"HTTP status code must be between 100 and 599, not {status}.")
        self.status_code = int(status)
        self._reason = reason
        self.charset = charset
        self.headers = Headers(headers)
        if "content-type" not in self.headers:
            self.headers["content-type"] = content_type or self._default_content_type()
        self.cookies: dict[str, str] = {}
        self.content = content

    def _default_content_type(self) -> str:
        ctype = self.default_content_type
        return f"{ctype}; charset={self.charset}" if ctype.startswith("text/") else ctype

    @property
    def reason_phrase(self) -> str:
        return self._reason or reason_phrase(self.status_code)

    @property
    def content(self) -> bytes:
        return self._content

    @content.setter
    def content(self, value: bytes | str) -> None:
        if isinstance(value, str):
            value = value.encode(self.charset)
        elif not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"Response content must be bytes or str, not {type(value).__name__}.")
        self._content = bytes(value)

    # Django-style header access: response["X-Frame-Options"] = "DENY"
    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __setitem__(self, name: str, value: str) -> None:
        self.headers[name] = value

    def __delitem__(self, name: str) -> None:
        del self.headers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | datetime.timedelta | None = None,
        expires: datetime.datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        """Set a cookie; the arguments are :func:`~duck.http.cookies.format_set_cookie`'s.

        Raises:
            ValueError: an invalid name, value or attribute, or a combination browsers refuse
                (``samesite="None"`` or ``partitioned`` without ``secure``).
        """
        self.cookies[key] = format_set_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    def delete_cookie(
        self, key: str, path: str = "/", domain: str | None = None, samesite: str | None = None, secure: bool = False
    ) -> None:
        """Tell the browser to drop a cookie (give the path and domain it was set with)."""
        self.cookies[key] = format_set_cookie(
            key,
            "",
            max_age=0,
            expires=_EPOCH,
            path=path,
            domain=domain,
            samesite=samesite,
            secure=secure or samesite == "None",
        )

    def header_list(self) -> list[tuple[bytes, bytes]]:
        """Headers as wire pairs, with Content-Length and Set-Cookie added."""
        headers = self.headers.raw()
        if not self.streaming and "content-length" not in self.headers and self.status_code not in NO_BODY_STATUSES:
            headers.append((b"content-length", str(len(self._content)).encode()))
        for cookie in self.cookies.values():
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        return headers

    async def iter_async(self) -> AsyncGenerator[bytes, None]:
        yield self._content

    def iter_sync(self) -> Iterator[bytes]:
        yield self._content

    def close(self) -> None:
        """Release resources (open files, iterators); front doors call it once the response is sent."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} status={self.status_code} content-type={self.headers.get('content-type')!r}>"


class HTMLResponse(HttpResponse):
    default_content_type = "text/html"


class PlainTextResponse(HttpResponse):
    default_content_type = "text/plain"


class DuckJSONEncoder(json.JSONEncoder):
    """JSON encoder that also knows dates, times, UUIDs, decimals and sets."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
            return o.isoformat()
        if isinstance(o, datetime.timedelta):
            return o.total_seconds()
        if isinstance(o, (uuid.UUID, decimal.Decimal)):
            return str(o)
        if isinstance(o, (set, frozenset)):
            return list(o)
        return super().default(o)


def compact_json(data: Any, encoder: type[json.JSONEncoder] = DuckJSONEncoder, **options: Any) -> str:
    """``data`` as compact JSON text (no spaces, UTF-8 kept as is), with duck's extra types.

    The one JSON encoding of duck: JSON responses, WebSocket ``send_json`` and broadcasts.
    ``options`` go to :func:`json.dumps` and win over these defaults.
    """
    if encoder is DuckJSONEncoder and not options:
        return _COMPACT_ENCODER.encode(data)  # one encoder for the common case: no object per call
    return json.dumps(data, cls=encoder, **{"separators": (",", ":"), "ensure_ascii": False, **options})


# Building a JSONEncoder per call (what json.dumps does whenever it is given options) costs a few
# microseconds: more than encoding a small response.
_COMPACT_ENCODER = DuckJSONEncoder(separators=(",", ":"), ensure_ascii=False)


class JsonResponse(HttpResponse):
    """A JSON body (compact separators, UTF-8 kept readable)."""

    default_content_type = "application/json"

    def __init__(
        self,
        data: Any,
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        encoder: type[json.JSONEncoder] = DuckJSONEncoder,
        json_dumps_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        content = compact_json(data, encoder, **(json_dumps_params or {}))
        super().__init__(content, status=status, headers=headers, **kwargs)


class RedirectResponse(HttpResponse):
    """A redirect (302 by default) to ``url``; unsafe schemes such as ``javascript:`` are refused."""

    allowed_schemes = frozenset({"http", "https", "ftp", "ws", "wss", ""})

    def __init__(self, url: str, status: int = 302, **kwargs: Any) -> None:
        if not 300 <= status < 400:
            raise ValueError(f"A redirect needs a 3xx status, not {status}.")
        scheme = urlsplit(str(url)).scheme
        if scheme not in self.allowed_schemes:
            raise ValueError(f"Unsafe redirect to URL with scheme {scheme!r}.")
        super().__init__(b"", status=status, **kwargs)
        self.headers["location"] = quote(str(url), safe="/#%[]=:;$&()+,!?*@'~")

    @property
    def url(self) -> str:
        return self.headers["location"]


class HttpResponseRedirect(RedirectResponse):
    pass


class HttpResponsePermanentRedirect(RedirectResponse):
    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, status=301, **kwargs)


class _FixedStatusResponse(HttpResponse):
    """An HttpResponse whose status is fixed by the subclass."""

    fixed_status = 200

    def __init__(self, content: bytes | str = b"", **kwargs: Any) -> None:
        super().__init__(content, status=self.fixed_status, **kwargs)


class HttpResponseBadRequest(_FixedStatusResponse):
    fixed_status = 400


class HttpResponseForbidden(_FixedStatusResponse):
    fixed_status = 403


class HttpResponseNotFound(_FixedStatusResponse):
    fixed_status = 404


class HttpResponseGone(_FixedStatusResponse):
    fixed_status = 410


class HttpResponseServerError(_FixedStatusResponse):
    fixed_status = 500


class HttpResponseNotAllowed(HttpResponse):
    def __init__(self, permitted_methods: Iterable[str], content: bytes | str = b"", **kwargs: Any) -> None:
        super().__init__(content, status=405, **kwargs)
        self.headers["allow"] = ", ".join(sorted({m.upper() for m in permitted_methods}))


class StreamingResponse(HttpResponse):
    """A response whose body comes from a sync or async iterator of ``bytes``/``str`` chunks.

    Sync iterators are advanced in a worker thread when served by an async front door, so a
    blocking generator never stalls the event loop.
    """

    streaming = True

    def __init__(
        self,
        content: Iterable[bytes | str] | AsyncIterable[bytes | str],
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(b"", status=status, headers=headers, content_type=content_type, **kwargs)
        self.streaming_content = content

    @property
    def content(self) -> bytes:
        raise AttributeError("A StreamingResponse has no .content; iterate it with iter_sync() or iter_async().")

    @content.setter
    def content(self, value: bytes | str) -> None:
        self._content = b""

    def _encode(self, chunk: bytes | str) -> bytes:
        return chunk.encode(self.charset) if isinstance(chunk, str) else bytes(chunk)

    async def iter_async(self) -> AsyncGenerator[bytes, None]:
        content = self.streaming_content
        if isinstance(content, AsyncIterable):
            iterator = content.__aiter__()
            try:
                async for chunk in iterator:
                    yield self._encode(chunk)
            finally:
                # Leaving `async for` early (client gone) does not close the view's generator; do it
                # now so its cleanup runs at once, not whenever the garbage collector finds it.
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
            return
        pieces = iter(content)
        sentinel = object()
        while True:
            chunk = await run_sync(next, pieces, sentinel)
            if chunk is sentinel:
                return
            yield self._encode(chunk)

    def iter_sync(self) -> Iterator[bytes]:
        content = self.streaming_content
        if not isinstance(content, AsyncIterable):
            for chunk in content:
                yield self._encode(chunk)
            return
        # WSGI serving an async iterator: drive it on a private loop in this worker thread.
        loop = asyncio.new_event_loop()
        iterator = content.__aiter__()
        try:
            while True:
                try:
                    chunk = loop.run_until_complete(iterator.__anext__())
                except StopAsyncIteration:
                    return
                yield self._encode(chunk)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                loop.run_until_complete(aclose())
            loop.close()

    def close(self) -> None:
        close = getattr(self.streaming_content, "close", None)
        if close is not None:
            close()


class FileResponse(StreamingResponse):
    """Stream a file from disk in chunks, with Content-Length, Content-Type and Content-Disposition.

    Args:
        file: a path or a binary file object (closed when the response is closed).
        filename: the name offered to the browser; defaults to the file's own name.
        as_attachment: ask the browser to download rather than display.
    """

    def __init__(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        filename: str | None = None,
        as_attachment: bool = False,
        content_type: str | None = None,
        chunk_size: int = _CHUNK_SIZE,
        **kwargs: Any,
    ) -> None:
        self.file: IO[bytes] = open(file, "rb") if isinstance(file, (str, os.PathLike)) else file  # noqa: SIM115
        name = filename or os.path.basename(getattr(self.file, "name", "") or "")
        if content_type is None:
            guessed, encoding = mimetypes.guess_type(name)
            content_type = {"gzip": "application/gzip", "bzip2": "application/x-bzip"}.get(
                encoding or "", guessed or "application/octet-stream"
            )
            if content_type.startswith("text/"):
                content_type += "; charset=utf-8"
        self.chunk_size = chunk_size
        super().__init__(self._read_chunks(), content_type=content_type, **kwargs)
        self._set_length()
        if name and (as_attachment or filename):
            disposition = "attachment" if as_attachment else "inline"
            self.headers["content-disposition"] = _content_disposition(disposition, name)

    def _set_length(self) -> None:
        try:
            size = os.fstat(self.file.fileno()).st_size - self.file.tell()
        except (AttributeError, OSError, ValueError):
            return
        self.headers["content-length"] = str(size)

    def _read_chunks(self) -> Iterator[bytes]:
        while chunk := self.file.read(self.chunk_size):
            yield chunk

    def close(self) -> None:
        self.file.close()


def _content_disposition(kind: str, filename: str) -> str:
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        return f"{kind}; filename*=utf-8''{quote(filename)}"
    escaped = filename.replace("\\", "\\\\").replace('"', r"\"")
    return f'{kind}; filename="{escaped}"'


class UpgradeResponse(HttpResponse):
    """The dispatcher's answer to a request that switches protocol (a WebSocket upgrade).

    It is not sent as-is: a front door that can switch protocols carries its :class:`Upgrade`
    (duck's server with ``make_protocol()``, an ASGI server with ``run_asgi()``), whose protocol
    writes its own handshake answer. Front doors that cannot switch (WSGI) answer with an error
    explaining why. Closing the response releases the upgrade (see :mod:`duck.http.upgrade`).
    """

    def __init__(self, upgrade: Upgrade) -> None:
        super().__init__(b"", status=101)
        self.upgrade = upgrade

    def close(self) -> None:
        super().close()
        self.upgrade.release()
