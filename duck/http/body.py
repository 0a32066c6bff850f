"""A request body as it arrives: in memory while it is small, in a temporary file once it is not.

Every front door (duck's server, ASGI, WSGI) writes the body it reads into a :class:`SpooledBody`
instead of joining it into one ``bytes``: a body larger than ``memory_limit`` moves to an
anonymous temporary file as soon as it crosses the limit, so an upload of any size costs at most
``memory_limit`` bytes of memory while it is read. ``Request`` reads it back lazily: ``body`` (up to
``DATA_UPLOAD_MAX_MEMORY_SIZE``) or the multipart parser, chunk by chunk.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from duck.conf import global_settings, settings

__all__ = ["SpooledBody"]

# Bytes read from the temporary file at a time when a body is handed back in pieces.
CHUNK_SIZE = 64 * 1024


class SpooledBody:
    """Bytes appended in pieces; kept in memory up to ``memory_limit``, then in a temporary file.

    Args:
        memory_limit: the most bytes held in memory; the body moves to disk when it would pass it.
        temp_dir: the folder for the temporary file (None: the system's).
    """

    __slots__ = ("_file", "_pieces", "memory_limit", "size", "temp_dir")

    def __init__(self, memory_limit: int, temp_dir: str | None = None) -> None:
        self.memory_limit = memory_limit
        self.temp_dir = temp_dir
        self.size = 0
        self._pieces: list[bytes] = []
        self._file: IO[bytes] | None = None

    @property
    def in_memory(self) -> bool:
        """True while the body has not outgrown ``memory_limit``."""
        return self._file is None

    def write(self, data: bytes) -> None:
        """Append ``data``; the first write that passes ``memory_limit`` moves everything to disk."""
        self.size += len(data)
        file = self._file
        if file is not None:
            file.write(data)
            return
        self._pieces.append(data)
        if self.size > self.memory_limit:
            self._rollover()

    def _rollover(self) -> None:
        # Not a ``with`` block: the file lives as long as this object, which close() ends.
        file = self._file = tempfile.TemporaryFile(dir=self.temp_dir)  # noqa: SIM115
        file.writelines(self._pieces)
        self._pieces = []

    def read(self) -> bytes:
        """The whole body as one ``bytes`` (joined once and kept if it is in memory)."""
        if self._file is None:
            pieces = self._pieces
            if len(pieces) != 1 or type(pieces[0]) is not bytes:  # h11 hands over bytearrays: callers get bytes
                self._pieces = pieces = [b"".join(pieces)]
            return pieces[0]
        return b"".join(self.chunks())

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes (from the start, each time it is called)."""
        if self._file is None:
            yield from self._pieces
            return
        file = self._file
        file.seek(0)
        while piece := file.read(size):
            yield piece

    @classmethod
    def from_settings(cls) -> SpooledBody:
        """An empty body spooled past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` into ``FILE_UPLOAD_TEMP_DIR``."""
        return cls(memory_limit_setting(), settings.FILE_UPLOAD_TEMP_DIR)

    def finished(self) -> bytes | SpooledBody:
        """What a ``Request`` takes once the body is complete: plain bytes while it is in memory
        (nothing to release), else this object (the request closes it after the response)."""
        return self.read() if self._file is None else self

    def close(self) -> None:
        """Release the memory or the temporary file."""
        self._pieces = []
        if self._file is not None:
            self._file.close()
            self._file = None

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        where = "memory" if self._file is None else "disk"
        return f"<SpooledBody {self.size} bytes in {where}>"


def memory_limit_setting() -> int:
    """The most body bytes held in memory: ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    None (Django's "no limit" on ``request.body``) does not mean "never spool": the default is used.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else int(limit)
