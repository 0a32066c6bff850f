"""``collectstatic``: copy every static file into ``STATIC_ROOT`` for a front server to serve.

With ``compress`` (``--compress`` or ``STATICFILES_COMPRESS``), each compressible file also gets
pre-compressed siblings (``app.js.gz``, ``.br``, ``.zst``, one per ``COMPRESSION_ENCODINGS`` coding),
made once per deploy at the highest levels and stamped with the file's modification time, so they
are rebuilt when the file changes and never served stale. duck's static serving and nginx
(``gzip_static``, ``brotli_static``) send them to clients that accept them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.http.compression import (
    FILE_SUFFIXES,
    CompressionSettings,
    compress,
    compression_settings,
    is_compressible_type,
)
from duck.staticfiles.conditional import content_type_for
from duck.staticfiles.finders import iter_files, static_dirs

__all__ = ["CollectResult", "collect", "static_root"]

# Levels for files compressed once per deploy and served many times: the smallest output is worth the
# CPU (zstd stops at 19: higher levels need windows browsers refuse).
STATIC_LEVELS = {"gzip": 9, "br": 11, "zstd": 19}


@dataclass
class CollectResult:
    """What :func:`collect` did, for the command to report."""

    root: Path
    copied: list[str] = field(default_factory=list)
    unmodified: list[str] = field(default_factory=list)
    cleared: int = 0
    missing_dirs: list[Path] = field(default_factory=list)
    compressed: list[str] = field(default_factory=list)  # pre-compressed siblings written


def static_root() -> Path:
    """``STATIC_ROOT`` as an absolute path.

    Raises:
        ImproperlyConfigured: it is not set, or it is one of (or inside) ``STATICFILES_DIRS``,
            which would copy files onto themselves.
    """
    value = settings.STATIC_ROOT
    if not value:
        raise ImproperlyConfigured(
            "STATIC_ROOT is not set: add STATIC_ROOT = BASE_DIR / 'staticfiles' to your settings, "
            "the folder collectstatic copies static files into for your web server."
        )
    root = Path(value).resolve()
    for folder in static_dirs():
        folder = folder.resolve()
        if root == folder or folder in root.parents:
            raise ImproperlyConfigured(
                f"STATIC_ROOT ({root}) must not be one of STATICFILES_DIRS or inside one ({folder}): "
                "pick a separate folder such as BASE_DIR / 'staticfiles'."
            )
    return root


def collect(clear: bool = False, compress: bool | None = None) -> CollectResult:
    """Copy every file the finders see into ``STATIC_ROOT``, keeping relative paths.

    Files whose copy already has the same size and a modification time at least as recent
    are left alone, so running it twice copies nothing the second time.

    Args:
        clear: empty ``STATIC_ROOT`` first (removes files no longer in any static folder).
        compress: also write pre-compressed siblings of compressible files (see the module
            docstring); None follows ``STATICFILES_COMPRESS``.

    Raises:
        ImproperlyConfigured: see :func:`static_root`; with ``compress``, a bad ``COMPRESSION_*`` setting.
    """
    root = static_root()
    options = compression_settings() if (settings.STATICFILES_COMPRESS if compress is None else compress) else None
    result = CollectResult(root=root, missing_dirs=[folder for folder in static_dirs() if not folder.is_dir()])
    if clear and root.is_dir():
        result.cleared = _clear(root)
    files = list(iter_files())
    collected = {relative for relative, _ in files}
    for relative, source in files:
        target = root / relative
        if _up_to_date(source, target):
            result.unmodified.append(relative)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # copy2 keeps mtime, which _up_to_date compares next time
            result.copied.append(relative)
        if options is not None:
            result.compressed += _precompress(relative, target, options, collected)
    return result


def _precompress(relative: str, target: Path, options: CompressionSettings, collected: set[str]) -> list[str]:
    """Write the missing or stale pre-compressed siblings of ``target``; returns their relative paths.

    A sibling left from an older version of the file that is not rebuilt (the file no longer
    compresses) is deleted: nginx's gzip_static would serve it without comparing dates.
    """
    stat = target.stat()
    wanted = stat.st_size >= options.min_size and is_compressible_type(content_type_for(target), options.skip_types)
    written: list[str] = []
    data: bytes | None = None
    for coding in options.encodings:
        name = relative + FILE_SUFFIXES[coding]
        if name in collected:
            continue  # the static folders ship this file themselves: theirs wins
        sibling = target.with_name(target.name + FILE_SUFFIXES[coding])
        try:
            current = sibling.stat().st_mtime_ns == stat.st_mtime_ns  # made from this version of the file
        except FileNotFoundError:
            current = None
        if current or (current is None and not wanted):
            continue
        encoded = b""
        if wanted:
            if data is None:
                data = target.read_bytes()
            encoded = compress(data, coding, STATIC_LEVELS[coding])
        if wanted and len(encoded) < len(data or b""):
            _write_atomically(sibling, encoded, stat)
            written.append(name)
        elif current is not None:
            sibling.unlink(missing_ok=True)  # stale, and nothing to replace it with
    return written


def _write_atomically(path: Path, data: bytes, stat: os.stat_result) -> None:
    """Write ``data`` to ``path`` with ``stat``'s modification time; a server never sees half a file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _up_to_date(source: Path, target: Path) -> bool:
    try:
        target_stat = target.stat()
    except FileNotFoundError:
        return False
    source_stat = source.stat()
    return target_stat.st_size == source_stat.st_size and target_stat.st_mtime_ns >= source_stat.st_mtime_ns


def _clear(root: Path) -> int:
    """Delete everything inside ``root`` (not ``root`` itself, which may be a mount point)."""
    removed = 0
    for entry in list(root.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            removed += sum(len(files) for _, _, files in os.walk(entry))
            shutil.rmtree(entry)
        else:
            entry.unlink()
            removed += 1
    return removed
