"""Find static files in ``STATICFILES_DIRS``, first folder first.

Paths come from URLs, so they are checked before they touch the file system: anything that
could leave its folder (``..``, absolute paths, backslashes, NUL, drive letters), and hidden
or backup files (``.env``, ``.git/``, ``style.css~``), is treated as not found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from duck.conf import settings

__all__ = ["find", "iter_files", "safe_relative_path", "static_dirs"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def static_dirs() -> list[Path]:
    """The folders of ``STATICFILES_DIRS``, in order (missing folders included)."""
    return [Path(folder) for folder in settings.STATICFILES_DIRS]


def _ignored(name: str) -> bool:
    # Hidden files and editor backups are never published.
    return name.startswith(".") or name.endswith("~")


def _bad_part(part: str) -> bool:
    return part in ("", ".", "..") or _ignored(part)


def safe_relative_path(path: str) -> str | None:
    """``path`` as a clean relative path (``"css/site.css"``), or None if it is unsafe.

    Both ``path`` and its percent-decoded form are checked, so ``%2e%2e`` is refused whether or
    not the front door already decoded it once.
    """
    for candidate in (path, unquote(path)):
        if not candidate or "\x00" in candidate or "\\" in candidate:
            return None
        if candidate.startswith("/") or _DRIVE.match(candidate):
            return None
        if any(_bad_part(part) for part in candidate.split("/")):
            return None
    return path


def find(path: str) -> Path | None:
    """The file that serves ``path`` (relative to ``STATIC_URL``), or None.

    Folders, unsafe paths and missing files all give None: the caller answers 404.
    """
    relative = safe_relative_path(path)
    if relative is None:
        return None
    for folder in static_dirs():
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


def iter_files() -> Iterator[tuple[str, Path]]:
    """Every publishable file as ``(relative posix path, absolute path)``.

    A relative path found in two folders is yielded once, from the first folder, because
    that is the file :func:`find` serves.
    """
    seen: set[str] = set()
    for folder in static_dirs():
        if not folder.is_dir():
            continue
        for root, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(name for name in dirnames if not _ignored(name))
            for name in sorted(filenames):
                if _ignored(name):
                    continue
                absolute = Path(root, name)
                relative = absolute.relative_to(folder).as_posix()
                if relative not in seen:
                    seen.add(relative)
                    yield relative, absolute
