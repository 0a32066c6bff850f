"""A file received in a ``multipart/form-data`` request body.

The content lives in a :class:`tempfile.SpooledTemporaryFile`: small uploads stay in memory, and an
upload that grows past ``spool_limit`` bytes is moved to an anonymous temporary file on disk, so a
large upload never has to fit in memory.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Mapping
from types import TracebackType

DEFAULT_SPOOL_LIMIT = 2_621_440  # 2.5 MiB
DEFAULT_CHUNK_SIZE = 64 * 1024


def _basename(filename: str) -> str:
    """Reduce a client-supplied filename to its last path component.

    Old browsers send full client paths (``C:\\Users\\me\\a.txt``) and a hostile client can send
    ``../../etc/passwd``; code that later joins the name onto a directory must never be able to
    leave it. Both separators are handled whatever the server's OS is, because the path comes
    from the client's OS.
    """
    name = filename.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    return "" if name in {".", ".."} else name


class UploadedFile:
    """One uploaded file: its form field, client metadata and content.

    ``filename`` is the client's filename reduced to its basename (never a path). The parser writes
    the content with :meth:`write` while the body streams in, then rewinds it; :meth:`read`,
    :meth:`seek` and :meth:`chunks` read it back. Close it (or use it as a context manager) when
    done: on-disk content is released at close.
    """

    def __init__(
        self,
        name: str,
        filename: str,
        content_type: str = "text/plain",
        charset: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        spool_limit: int = DEFAULT_SPOOL_LIMIT,
        temp_dir: str | None = None,
    ) -> None:
        self.name = name
        self.filename = _basename(filename)
        self.content_type = content_type
        self.charset = charset
        self.headers: dict[str, str] = dict(headers or {})
        self.size = 0
        # Not a ``with`` block: the file lives as long as this object, which close() ends.
        self.file = tempfile.SpooledTemporaryFile(max_size=spool_limit, dir=temp_dir)  # noqa: SIM115
        if spool_limit <= 0:
            # SpooledTemporaryFile treats max_size=0 as "never roll over"; here 0 means "always on disk".
            self.file.rollover()

    @property
    def in_memory(self) -> bool:
        """Whether the content is still held in memory (it has not outgrown ``spool_limit``)."""
        # The tempfile docs define ``_file`` as a BytesIO until the spooled file rolls over to disk.
        return isinstance(self.file._file, io.BytesIO)

    @property
    def closed(self) -> bool:
        return self.file.closed

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data`` to the content (used by the parser while the body streams in)."""
        written = self.file.write(data)
        self.size += len(data)
        return written

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes if negative) from the current position."""
        return self.file.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the whole content, from the start, in pieces of at most ``chunk_size`` bytes."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.file.seek(0)
        while chunk := self.file.read(chunk_size):
            yield chunk

    def close(self) -> None:
        """Release the content (deletes the temporary file if it was spooled to disk)."""
        self.file.close()

    def __enter__(self) -> UploadedFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name!r} filename={self.filename!r} "
            f"content_type={self.content_type!r} size={self.size}>"
        )
