"""``CompressionMiddleware``: response bodies in zstd, br or gzip, whichever the client prefers.

::

    MIDDLEWARE = ["duck.middleware.compression.CompressionMiddleware", ...]  # outermost: sees final bodies

The coding is negotiated with the request's Accept-Encoding (q-values, ``*``, ``identity``; RFC 9110
§12.5.3). A response is sent as it is when compressing it would be wrong or useless:

* its status is 1xx, 204, 304 or 206, or it has Content-Range (a byte range of the identity body);
* it has Content-Encoding already, or ``Cache-Control: no-transform`` (RFC 9111 §5.2.2.6);
* its media type is compressed already (``COMPRESSION_SKIP_TYPES``: images, video, archives...);
* its body is shorter than ``COMPRESSION_MIN_SIZE``;
* it streams, unless ``COMPRESSION_STREAMING`` is on (Server-Sent Events: only with
  ``response.compress = True``); ``response.compress = False`` opts any response out.

Whenever the response could have been compressed for some client, ``Vary: Accept-Encoding`` is added
so caches keep the variants apart. A compressed response gets its new Content-Length, a weak ETag
(RFC 9110 §8.8.1: the bytes differ from the identity body's, the content is the same) and no
Accept-Ranges (its ranges would be of the compressed bytes, which are not stored). A streaming body
is compressed chunk by chunk and flushed after each chunk, so a client gets every event as soon as
it is produced and nothing is buffered whole.

It works on the finished response only (a streaming body is wrapped, not read), so it is a
``process_response`` hook: it works the same under duck's server, WSGI and ASGI, for sync and async
views alike, and costs no layer of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from duck.http.compression import (
    CompressionSettings,
    Encoder,
    compress,
    compression_settings,
    is_compressible_type,
    negotiate,
    new_encoder,
)
from duck.http.middleware import MiddlewareMixin
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.utils.sync import run_sync

__all__ = ["CompressionMiddleware", "patch_vary"]

# Bodies larger than this are compressed in the thread pool: zlib, brotli and zstandard release the
# GIL, and a few milliseconds of compression must not stall every other connection on the loop.
_OFFLOAD_SIZE = 64 * 1024
_NOT_COMPRESSED_STATUSES = frozenset({204, 206, 304})


class CompressionMiddleware(MiddlewareMixin):
    """Compress response bodies for clients that accept it (see the module docstring for the rules)."""

    needs_event_loop = False  # it awaits only run_sync (large bodies), which WSGI runs in place

    def __init__(self, get_response: Callable[[Request], Any]) -> None:
        super().__init__(get_response)
        self.settings: CompressionSettings = compression_settings()  # checked once, when the chain is built

    async def process_response(self, request: Request, response: HttpResponse) -> HttpResponse:
        return await self.compress_response(request, response)

    async def compress_response(self, request: Request, response: HttpResponse) -> HttpResponse:
        """``response`` compressed in place for ``request`` when the rules allow it."""
        if not self.is_compressible(response):
            return response
        patch_vary(response, "Accept-Encoding")
        coding = negotiate(request.headers.get("accept-encoding"), self.settings.encodings)
        if coding is None:
            return response
        level = self.settings.levels[coding]
        if response.streaming:
            _compress_stream(response, new_encoder(coding, level))
            response.headers.pop("content-length")
        else:
            body = response.content
            if len(body) > _OFFLOAD_SIZE:
                compressed: bytes = await run_sync(compress, body, coding, level)
            else:
                compressed = compress(body, coding, level)
            if len(compressed) >= len(body):
                return response  # incompressible after all (random data, tiny text)
            response.content = compressed
            if "content-length" in response.headers:
                response.headers["content-length"] = str(len(compressed))
        response.headers["content-encoding"] = coding
        response.headers.pop("accept-ranges")
        etag = response.headers.get("etag")
        if etag is not None and not etag.startswith("W/"):
            response.headers["etag"] = "W/" + etag
        return response

    def is_compressible(self, response: HttpResponse) -> bool:
        """Whether some client could get ``response`` compressed (the request plays no part here)."""
        status = response.status_code
        if status < 200 or status in _NOT_COMPRESSED_STATUSES or response.compress is False:
            return False
        headers = response.headers
        if "content-encoding" in headers or "content-range" in headers:
            return False
        if any(_has_token(value, "no-transform") for value in headers.getlist("cache-control")):
            return False
        content_type = headers.get("content-type")
        if not is_compressible_type(content_type, self.settings.skip_types):
            return False
        if not response.streaming:
            return len(response.content) >= self.settings.min_size
        if not hasattr(response, "streaming_content"):
            return False  # a streaming response of its own kind: its chunks cannot be wrapped
        if response.compress is not True:
            event_stream = (content_type or "").partition(";")[0].strip().lower() == "text/event-stream"
            if event_stream or not self.settings.streaming:
                return False
        declared = headers.get("content-length")
        return declared is None or not declared.isdigit() or int(declared) >= self.settings.min_size


def patch_vary(response: HttpResponse, name: str) -> None:
    """Add ``name`` to the response's Vary unless it is listed already or Vary is ``*`` (RFC 9110 §12.5.5)."""
    values = response.headers.getlist("vary")
    listed = {token.strip().lower() for value in values for token in value.split(",")}
    if "*" in listed or name.lower() in listed:
        return
    response.headers["vary"] = ", ".join([*(value.strip() for value in values if value.strip()), name])


def _has_token(value: str, token: str) -> bool:
    return any(item.strip().partition("=")[0].strip().lower() == token for item in value.split(","))


def _compress_stream(response: HttpResponse, encoder: Encoder) -> None:
    """Replace the response's chunks with their compressed form, keeping them sync or async."""
    content = response.streaming_content  # type: ignore[attr-defined]
    charset = response.charset
    if isinstance(content, AsyncIterable):
        response.streaming_content = _compress_async(content, encoder, charset)  # type: ignore[attr-defined]
    else:
        # Sync chunks stay sync: an async front door advances them, compression included, in a thread.
        response.streaming_content = _compress_sync(content, encoder, charset)  # type: ignore[attr-defined]


def _compressed(chunk: bytes | str, encoder: Encoder, charset: str) -> bytes:
    """One chunk, compressed and flushed at once, so the client can decode it without waiting."""
    data = chunk.encode(charset) if isinstance(chunk, str) else bytes(chunk)
    return encoder.compress(data) + encoder.flush() if data else b""


def _compress_sync(chunks: Iterable[bytes | str], encoder: Encoder, charset: str) -> Iterator[bytes]:
    iterator = iter(chunks)
    try:
        for chunk in iterator:
            if out := _compressed(chunk, encoder, charset):
                yield out
        yield encoder.finish()
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


async def _compress_async(chunks: AsyncIterable[bytes | str], encoder: Encoder, charset: str) -> AsyncIterator[bytes]:
    iterator = chunks.__aiter__()
    try:
        async for chunk in iterator:
            if out := _compressed(chunk, encoder, charset):
                yield out
        yield encoder.finish()
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
