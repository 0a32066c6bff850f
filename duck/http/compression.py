"""Content codings for response bodies (RFC 9110 §8.4.1) and the Accept-Encoding negotiation (§12.5.3).

Pure functions and small encoder objects, plus :func:`compression_settings` (the ``COMPRESSION_*``
settings, checked): the compression middleware and ``collectstatic`` both build on them. gzip comes
from the standard library; ``br`` needs the ``brotli`` package and ``zstd`` the ``zstandard``
package (``pip install 'duckweb[brotli]'``, ``'duckweb[zstd]'`` or ``'duckweb[compression]'``); a
coding whose package is missing is simply not offered.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured

__all__ = [
    "CODINGS",
    "FILE_SUFFIXES",
    "CompressionSettings",
    "Encoder",
    "available_codings",
    "compress",
    "compression_settings",
    "is_compressible_type",
    "negotiate",
    "new_encoder",
    "parse_accept_encoding",
]

# Every coding duck can produce, in the default order of preference: zstd and br compress text
# better than gzip, and zstd is the fastest of the three.
CODINGS = ("zstd", "br", "gzip")
# The file name suffix of each coding, for pre-compressed static files (the names nginx's
# gzip_static/brotli_static and most CDNs look for).
FILE_SUFFIXES = {"gzip": ".gz", "br": ".br", "zstd": ".zst"}
_PACKAGES = {"br": "brotli", "zstd": "zstandard"}
# Valid levels: zstd stops at 19 because higher ("ultra") levels use windows above the 8 MiB
# that browsers accept (RFC 8878 §3.1.1.1.2 recommends decoders support 8 MiB).
LEVELS = {"gzip": range(1, 10), "br": range(0, 12), "zstd": range(1, 20)}
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")


class Encoder(Protocol):
    """Compresses one body incrementally."""

    def compress(self, data: bytes) -> bytes:
        """Feed ``data``; returns whatever compressed bytes are ready (often none)."""

    def flush(self) -> bytes:
        """Everything fed so far, decodable by the client now (a streaming body keeps its latency)."""

    def finish(self) -> bytes:
        """The end of the compressed stream; the encoder is done."""


def available_codings() -> tuple[str, ...]:
    """The codings whose library is installed, in :data:`CODINGS` order (gzip always)."""
    return tuple(coding for coding in CODINGS if _installed(coding))


def _installed(coding: str) -> bool:
    package = _PACKAGES.get(coding)
    return package is None or importlib.util.find_spec(package) is not None


def _library(coding: str) -> Any:
    """The package behind ``coding``, imported on first use (brotli publishes no type information)."""
    return importlib.import_module(_PACKAGES[coding])


class _Gzip:
    __slots__ = ("_zlib",)

    def __init__(self, level: int) -> None:
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing

    def compress(self, data: bytes) -> bytes:
        return self._zlib.compress(data)

    def flush(self) -> bytes:
        return self._zlib.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._zlib.flush(zlib.Z_FINISH)


class _Brotli:
    __slots__ = ("_brotli",)

    def __init__(self, level: int) -> None:
        self._brotli: Any = _library("br").Compressor(quality=level)

    def compress(self, data: bytes) -> bytes:
        return bytes(self._brotli.process(data))

    def flush(self) -> bytes:
        return bytes(self._brotli.flush())

    def finish(self) -> bytes:
        return bytes(self._brotli.finish())


class _Zstd:
    __slots__ = ("_flush_block", "_zstd")

    def __init__(self, level: int) -> None:
        zstandard = _library("zstd")
        self._zstd: Any = zstandard.ZstdCompressor(level=level).compressobj()
        self._flush_block = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def compress(self, data: bytes) -> bytes:
        return bytes(self._zstd.compress(data))

    def flush(self) -> bytes:
        return bytes(self._zstd.flush(self._flush_block))

    def finish(self) -> bytes:
        return bytes(self._zstd.flush())


_ENCODERS: dict[str, type[_Gzip] | type[_Brotli] | type[_Zstd]] = {"gzip": _Gzip, "br": _Brotli, "zstd": _Zstd}


def new_encoder(coding: str, level: int) -> Encoder:
    """An incremental encoder for ``coding`` (``"gzip"``, ``"br"`` or ``"zstd"``) at ``level``."""
    return _ENCODERS[coding](level)


def compress(data: bytes, coding: str, level: int) -> bytes:
    """``data`` compressed in one go: the smallest output, and the body's size in a zstd frame header."""
    if coding == "gzip":
        return gzip.compress(data, level, mtime=0)  # mtime 0: the same file always gives the same bytes
    if coding == "br":
        return bytes(_library("br").compress(data, quality=level))
    if coding == "zstd":
        return bytes(_library("zstd").ZstdCompressor(level=level, write_content_size=True).compress(data))
    raise ValueError(f"Unknown content coding {coding!r}.")


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``{coding: weight}`` from an Accept-Encoding value (RFC 9110 §12.5.3), codings lower-cased.

    ``x-gzip`` counts as ``gzip`` (§8.4.1.3). An element with a malformed weight is ignored, as is
    a repeated coding (its first weight counts).
    """
    weights: dict[str, float] = {}
    for element in value.split(","):
        coding, _, parameters = element.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        weight: float | None = 1.0
        for parameter in parameters.split(";") if parameters else ():
            name, _, text = parameter.partition("=")
            if name.strip().lower() == "q":
                text = text.strip()
                weight = float(text) if _QVALUE.fullmatch(text) else None
        if weight is None:
            continue
        weights.setdefault("gzip" if coding == "x-gzip" else coding, weight)
    return weights


def negotiate(accept_encoding: str | None, offered: Sequence[str]) -> str | None:
    """The coding to send, or None for the body as it is (identity).

    Args:
        accept_encoding: the request's Accept-Encoding value. None (no field) gives identity: a
            client that does not ask for a coding often cannot decode one (curl, scripts).
        offered: the codings the server may use, best first; ties between equal weights go to
            the earlier one.

    A coding listed with ``q=0`` is refused; ``*`` weighs every coding not listed (§12.5.3). Identity
    is chosen over the codings only when the client gives it a higher weight, by name or through
    ``*``; an unlisted identity stays acceptable (so nothing ever needs a 406).
    """
    if accept_encoding is None:
        return None
    weights = parse_accept_encoding(accept_encoding)
    anything = weights.get("*")
    best, best_weight = None, 0.0
    for coding in offered:
        weight = weights.get(coding, anything if anything is not None else 0.0)
        if weight > best_weight:
            best, best_weight = coding, weight
    if best is None:
        return None
    identity = weights.get("identity", anything)
    if identity is not None and identity > best_weight:
        return None
    return best


def is_compressible_type(content_type: str | None, skipped: Iterable[str]) -> bool:
    """Whether a body of ``content_type`` is worth compressing.

    ``skipped`` lists media types that are compressed already (``image/png``), or a whole top-level
    type (``video/*``). Types with a ``+json`` or ``+xml`` suffix (RFC 6839: ``image/svg+xml``,
    ``application/ld+json``) are text and always compressible. No Content-Type: not compressible.
    """
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.endswith(("+json", "+xml")):
        return True
    top_level = media_type.partition("/")[0]
    for entry in skipped:
        entry = entry.strip().lower()
        if entry == media_type or (entry.endswith("/*") and entry[:-2] == top_level):
            return False
    return True


@dataclass(frozen=True)
class CompressionSettings:
    """The ``COMPRESSION_*`` settings, checked (see duck/conf/global_settings.py for each reason)."""

    encodings: tuple[str, ...]
    min_size: int
    levels: dict[str, int]
    skip_types: tuple[str, ...]
    streaming: bool


def compression_settings() -> CompressionSettings:
    """Read and check the ``COMPRESSION_*`` settings.

    Raises:
        ImproperlyConfigured: an unknown coding, one whose package is not installed, a level out
            of range, or a negative minimum size.
    """
    configured = settings.COMPRESSION_ENCODINGS
    if configured is None:
        encodings = available_codings()
    else:
        if isinstance(configured, str):
            raise ImproperlyConfigured(f"COMPRESSION_ENCODINGS must be a list, not a string: write [{configured!r}].")
        encodings = tuple(str(coding).strip().lower() for coding in configured)
        for coding in encodings:
            if coding not in CODINGS:
                raise ImproperlyConfigured(
                    f"COMPRESSION_ENCODINGS lists {coding!r}; duck knows {', '.join(map(repr, CODINGS))}."
                )
            if not _installed(coding):
                raise ImproperlyConfigured(
                    f"COMPRESSION_ENCODINGS lists {coding!r} but the {_PACKAGES[coding]} package is not installed: "
                    f"pip install 'duckweb[{'brotli' if coding == 'br' else 'zstd'}]'."
                )
    levels = {"gzip": 6, "br": 4, "zstd": 3, **dict(settings.COMPRESSION_LEVELS or {})}
    for coding, level in levels.items():
        allowed = LEVELS.get(coding)
        if allowed is None:
            known = ", ".join(map(repr, CODINGS))
            raise ImproperlyConfigured(f"COMPRESSION_LEVELS names {coding!r}; duck knows {known}.")
        if isinstance(level, bool) or not isinstance(level, int) or level not in allowed:
            span = f"{allowed.start} to {allowed.stop - 1}"
            raise ImproperlyConfigured(f"COMPRESSION_LEVELS[{coding!r}] must be {span}, not {level!r}.")
    min_size = settings.COMPRESSION_MIN_SIZE
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise ImproperlyConfigured(f"COMPRESSION_MIN_SIZE must be a number of bytes (0 or more), not {min_size!r}.")
    skip_types = settings.COMPRESSION_SKIP_TYPES
    if isinstance(skip_types, str):
        raise ImproperlyConfigured(f"COMPRESSION_SKIP_TYPES must be a list, not a string: write [{skip_types!r}].")
    return CompressionSettings(
        encodings=encodings,
        min_size=min_size,
        levels=levels,
        skip_types=tuple(str(entry) for entry in skip_types or ()),
        streaming=bool(settings.COMPRESSION_STREAMING),
    )
