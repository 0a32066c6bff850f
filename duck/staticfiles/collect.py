"""``collectstatic``: copy every static file into ``STATIC_ROOT`` for a front server to serve."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.staticfiles.finders import iter_files, static_dirs

__all__ = ["CollectResult", "collect", "static_root"]


@dataclass
class CollectResult:
    """What :func:`collect` did, for the command to report."""

    root: Path
    copied: list[str] = field(default_factory=list)
    unmodified: list[str] = field(default_factory=list)
    cleared: int = 0
    missing_dirs: list[Path] = field(default_factory=list)


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


def collect(clear: bool = False) -> CollectResult:
    """Copy every file the finders see into ``STATIC_ROOT``, keeping relative paths.

    Files whose copy already has the same size and a modification time at least as recent
    are left alone, so running it twice copies nothing the second time.

    Args:
        clear: empty ``STATIC_ROOT`` first (removes files no longer in any static folder).

    Raises:
        ImproperlyConfigured: see :func:`static_root`.
    """
    root = static_root()
    result = CollectResult(root=root, missing_dirs=[folder for folder in static_dirs() if not folder.is_dir()])
    if clear and root.is_dir():
        result.cleared = _clear(root)
    for relative, source in iter_files():
        target = root / relative
        if _up_to_date(source, target):
            result.unmodified.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)  # copy2 keeps mtime, which _up_to_date compares next time
        result.copied.append(relative)
    return result


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
