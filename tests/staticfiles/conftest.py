"""Static file tests: two STATICFILES_DIRS folders in a temporary directory, DEBUG on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from duck.conf import settings
from duck.http.datastructures import Headers
from duck.http.request import Request
from duck.http.response import HttpResponse

# Ten bytes, so byte ranges are easy to check by eye.
DIGITS = b"0123456789"


@pytest.fixture
def static_dirs(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "static", tmp_path / "more_static"
    files = {
        first / "css" / "site.css": b"body { color: red; }",
        first / "js" / "app.js": b"console.log(1);",
        first / "digits.txt": DIGITS,
        first / "img" / "logo.png": b"\x89PNG\r\n\x1a\n",
        first / "img" / "icon.svg": b"<svg/>",
        first / "data.bin.gz": b"\x1f\x8b",
        first / "blob.unknownext": b"?",
        first / "empty.txt": b"",
        first / ".env": b"SECRET=1",
        first / "notes.txt~": b"backup",
        first / "shared.txt": b"from first",
        second / "shared.txt": b"from second",
        second / "extra" / "only-here.txt": b"second only",
        tmp_path / "secret.txt": b"top secret",
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return first, second


@pytest.fixture(autouse=True)
def static_settings(static_dirs: tuple[Path, Path], tmp_path: Path) -> Iterator[None]:
    with settings.override(
        DEBUG=True,
        SERVE_STATIC=None,
        STATIC_URL="/static/",
        STATICFILES_DIRS=[str(static_dirs[0]), static_dirs[1]],
        STATIC_ROOT=tmp_path / "collected",
        ALLOWED_HOSTS=["testserver"],
    ):
        yield


def make_request(path: str, method: str = "GET", **headers: str) -> Request:
    """A request for ``path``; header names use underscores (``if_none_match``)."""
    pairs = [("host", "testserver"), *((name.replace("_", "-"), value) for name, value in headers.items())]
    return Request(method, path, headers=Headers(pairs))


def body_of(response: HttpResponse) -> bytes:
    """The whole body, streamed or not; closes the response (and its file)."""
    try:
        return b"".join(response.iter_sync())
    finally:
        response.close()
