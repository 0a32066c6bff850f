"""A sans-I/O parser for ``multipart/form-data`` request bodies (RFC 7578).

A body is a series of parts between delimiter lines (RFC 2046 §5.1.1)::

    preamble (ignored)
    --BOUNDARY [padding] CRLF
    part headers CRLF CRLF part body
    CRLF --BOUNDARY [padding] CRLF
    part headers CRLF CRLF part body
    CRLF --BOUNDARY-- epilogue (ignored)

:class:`MultipartParser` does no I/O: the caller passes body bytes to ``feed()`` as they arrive,
cut anywhere, then calls ``finish()``. Text fields are collected (within
``max_memory_size``); file content is written straight into a spooled :class:`UploadedFile`, so a
large upload is never held in memory. Every malformed body raises :class:`~duck.exceptions.BadRequest`.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from duck.exceptions import BadRequest, RequestEntityTooLarge
from duck.http.datastructures import MultiDict
from duck.http.uploadedfile import DEFAULT_SPOOL_LIMIT, UploadedFile

__all__ = ["MultipartParser", "parse_multipart", "parse_options_header"]

DEFAULT_MAX_FIELDS = 1000
DEFAULT_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB of text field values
MAX_BOUNDARY_LENGTH = 70  # RFC 2046 §5.1.1
MAX_HEADER_BLOCK = 16 * 1024  # bytes of headers per part
MAX_PADDING = 1024  # whitespace allowed after a delimiter before its CRLF

# One ``; key=value`` parameter: a quoted string (backslash escapes) or a bare token.
_PARAM_RE = re.compile(
    r'\s*(?P<key>[^\s=;]+)\s*(?:=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"\s*|(?P<token>[^;]*)))?(?:;|$)',
    re.DOTALL,
)
# Only ``\\`` and ``\"`` are unescaped: old IE sends unescaped Windows paths (``C:\x\a.txt``) whose
# backslashes must survive so that the basename can still be found.
_QUOTED_PAIR_RE = re.compile(r'\\([\\"])')


def parse_options_header(value: str) -> tuple[str, dict[str, str]]:
    """Split a header like ``form-data; name="f"; filename="a.txt"`` into its value and parameters.

    The main value and parameter names are lower-cased; quoted values are unquoted. An RFC 5987
    extended parameter (``filename*=UTF-8''na%C3%AFve.txt``) is decoded and stored under the plain
    name, taking precedence over the plain parameter; one that cannot be decoded is ignored.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM_RE.match(rest, pos)
        if match is None:  # junk such as a stray "=": skip to the next parameter
            end = rest.find(";", pos)
            pos = len(rest) if end == -1 else end + 1
            continue
        pos = match.end()
        key = match["key"].lower()
        param_value = _param_value(match)
        if key.endswith("*"):
            decoded = _decode_extended(param_value)
            if decoded is not None:
                extended[key[:-1]] = decoded
        else:
            params[key] = param_value
    params.update(extended)
    return main.strip().lower(), params


def _param_value(match: re.Match[str]) -> str:
    """The unquoted value of one ``_PARAM_RE`` match."""
    if match["quoted"] is not None:
        return _QUOTED_PAIR_RE.sub(r"\1", match["quoted"])
    token = (match["token"] or "").strip()
    # Be lenient with an unterminated quoted string: keep what follows the quote.
    return token[1:] if token.startswith('"') else token


def _decode_extended(value: str) -> str | None:
    """Decode an RFC 5987 ``charset'language'percent-encoded`` value, or None if malformed."""
    charset, sep1, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not (sep1 and sep2):
        return None
    charset = charset or "utf-8"
    if not _is_text_charset(charset):  # unquote() would only notice once it meets a "%"
        return None
    try:
        return unquote(encoded, encoding=charset, errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


def _is_text_charset(charset: str) -> bool:
    """Whether ``charset`` names a bytes-to-str codec Python knows.

    Checked up front because ``b"".decode(charset)`` succeeds for any name, and so that codecs like
    base64 or zlib are refused.
    """
    try:
        info = codecs.lookup(charset)
    except LookupError:
        return False
    return getattr(info, "_is_text_encoding", True)  # the flag bytes.decode() itself checks


def _check_boundary(boundary: bytes) -> None:
    """Reject a boundary that is empty, over 70 chars, ends in a space or is not printable ASCII.

    RFC 2046's narrower ``bchars`` set is not enforced: other printable ASCII cannot confuse the
    parser, and rejecting it would only break lenient clients.
    """
    if not 0 < len(boundary) <= MAX_BOUNDARY_LENGTH:
        raise BadRequest("invalid multipart boundary length")
    if boundary.endswith(b" ") or any(byte < 0x20 or byte > 0x7E for byte in boundary):
        raise BadRequest("invalid multipart boundary")


def _parse_part_headers(block: bytes, charset: str) -> dict[str, str]:
    """Parse a part's header block into a dict with lower-cased names.

    Browsers encode field names and filenames in the form's charset, so that is tried first;
    latin-1 never fails and keeps the bytes recoverable.
    """
    try:
        text = block.decode(charset)
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    headers: dict[str, str] = {}
    last = ""
    for line in text.split("\r\n"):
        if not line:
            continue
        if line[0] in " \t" and last:  # obsolete line folding: continues the previous header
            headers[last] = f"{headers[last]} {line.strip()}"
            continue
        name, colon, field_value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise BadRequest("malformed part header")
        headers[name] = field_value.strip()
        last = name
    return headers


class _State(enum.Enum):
    PREAMBLE = "preamble"  # before the first delimiter; discarded
    DELIMITER = "delimiter"  # right after a delimiter: "--" ends the body, padding + CRLF opens a part
    HEADERS = "headers"  # inside a part's header block
    BODY = "body"  # inside a part's content
    EPILOGUE = "epilogue"  # after the close delimiter; discarded


class MultipartParser:
    """Incremental ``multipart/form-data`` parser.

    ``feed()`` accepts the body in chunks of any size (a delimiter may be split across calls);
    ``finish()`` checks the body was complete and returns ``(fields, files)``. Limits:

    * ``max_fields``: the most parts (text fields and files) a body may have -> ``BadRequest``;
    * ``max_memory_size``: the most bytes of text field values in total -> ``RequestEntityTooLarge``;
    * ``spool_limit`` / ``temp_dir``: at most ``spool_limit`` bytes of file content are kept in memory,
      for all files together (a hundred small files cannot add up to a hundred times the limit);
      the content of any file that does not fit goes to a temporary file in ``temp_dir``.

    On any error the files created so far are closed. Files returned by ``finish()`` belong to the
    caller; :meth:`close` (or leaving a ``with`` block) releases files of an unfinished parse.
    """

    def __init__(
        self,
        boundary: bytes | str,
        *,
        charset: str = "utf-8",
        max_fields: int = DEFAULT_MAX_FIELDS,
        max_memory_size: int = DEFAULT_MAX_MEMORY_SIZE,
        spool_limit: int = DEFAULT_SPOOL_LIMIT,
        temp_dir: str | None = None,
    ) -> None:
        if isinstance(boundary, str):
            boundary = boundary.encode("latin-1")
        _check_boundary(boundary)
        if not _is_text_charset(charset):
            raise LookupError(f"unknown text encoding: {charset!r}")
        self.boundary = boundary
        self.charset = charset
        self.max_fields = max_fields
        self.max_memory_size = max_memory_size
        self.spool_limit = spool_limit
        self.temp_dir = temp_dir
        # Every delimiter, the first included, is searched as CRLF--BOUNDARY; the leading CRLF seeded
        # into the buffer lets a body that starts right at "--BOUNDARY" match too.
        self._delimiter = b"\r\n--" + boundary
        self._buffer = bytearray(b"\r\n")
        self._state = _State.PREAMBLE
        self._done = False
        self._header_scan_from = 0
        self._part_count = 0
        self._field_bytes = 0
        self._fields: MultiDict[str] = MultiDict()
        self._files: MultiDict[UploadedFile] = MultiDict()
        # The part being read: either a file or a text field (name, charset, chunks).
        self._file: UploadedFile | None = None
        self._field_name = ""
        self._field_charset: str | None = None
        self._field_chunks: list[bytes | bytearray] = []
        self._memory_left = spool_limit  # bytes of file content that may still stay in memory

    # -- public API -------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Parse the next piece of the body."""
        if self._done:
            raise RuntimeError("feed() called on a finished or closed MultipartParser")
        if self._state is _State.EPILOGUE or not data:
            return
        self._buffer += data
        try:
            self._process()
        except BaseException:
            self.close()
            raise

    def finish(self) -> tuple[MultiDict[str], MultiDict[UploadedFile]]:
        """Check the body ended with the close delimiter and return ``(fields, files)``."""
        if self._done:
            raise RuntimeError("finish() called on a finished or closed MultipartParser")
        if self._state is not _State.EPILOGUE:
            self.close()
            if self._state is _State.PREAMBLE:
                raise BadRequest("multipart body has no initial boundary")
            raise BadRequest("multipart body has no closing boundary")
        self._done = True
        fields, files = self._fields, self._files
        self._files = MultiDict()  # the caller owns them now; close() must not touch them
        return fields, files

    def close(self) -> None:
        """Stop parsing and close every file not yet handed over by ``finish()``."""
        self._done = True
        for _, upload in self._files.multi_items():
            upload.close()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._files = MultiDict()
        self._buffer.clear()

    def __enter__(self) -> MultipartParser:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- state machine ----------------------------------------------------------------------------

    def _process(self) -> None:
        """Run state steps until one needs more data; each step returns whether it made progress."""
        steps = {
            _State.PREAMBLE: self._step_preamble,
            _State.DELIMITER: self._step_delimiter,
            _State.HEADERS: self._step_headers,
            _State.BODY: self._step_body,
        }
        while self._state is not _State.EPILOGUE and steps[self._state]():
            pass

    def _safe_length(self) -> int:
        """How many leading buffer bytes cannot be the start of a delimiter (so can be consumed).

        A delimiter that has not fully arrived must start within its length of the buffer's end,
        and it starts with CR: everything before the first CR of that tail is safe.
        """
        buffer = self._buffer
        tail_start = max(0, len(buffer) - len(self._delimiter) + 1)
        cr = buffer.find(b"\r", tail_start)
        return len(buffer) if cr == -1 else cr

    def _step_preamble(self) -> bool:
        index = self._buffer.find(self._delimiter)
        if index == -1:
            del self._buffer[: self._safe_length()]  # preamble: ignored (RFC 2046)
            return False
        del self._buffer[: index + len(self._delimiter)]
        self._state = _State.DELIMITER
        return True

    def _step_delimiter(self) -> bool:
        buffer = self._buffer
        if len(buffer) < 2:
            return False
        if buffer.startswith(b"--"):  # close delimiter: what follows is the epilogue, ignored
            buffer.clear()
            self._state = _State.EPILOGUE
            return False
        end = buffer.find(b"\r\n")
        # Bound the padding both when the line is complete and while it is still arriving, so the
        # outcome does not depend on how the body was chunked.
        if end > MAX_PADDING or (end == -1 and len(buffer) > MAX_PADDING + 1):
            raise BadRequest("malformed multipart boundary line")
        if end == -1:
            return False
        if buffer[:end].strip(b" \t"):  # e.g. "--BOUNDARYxyz": not our delimiter, not valid data
            raise BadRequest("malformed multipart boundary line")
        del buffer[: end + 2]
        self._state = _State.HEADERS
        self._header_scan_from = 0
        return True

    def _step_headers(self) -> bool:
        buffer = self._buffer
        if buffer.startswith(b"\r\n"):  # a part with no headers at all
            end, consumed = 0, 2
        else:
            end = buffer.find(b"\r\n\r\n", self._header_scan_from)
            if end == -1:
                if len(buffer) > MAX_HEADER_BLOCK + 3:  # the terminator could start 3 bytes back
                    raise BadRequest("multipart part headers too large")
                self._header_scan_from = max(0, len(buffer) - 3)  # don't rescan: byte-wise feeds
                return False
            consumed = end + 4
        if end > MAX_HEADER_BLOCK:
            raise BadRequest("multipart part headers too large")
        block = bytes(buffer[:end])
        del buffer[:consumed]
        self._start_part(block)
        self._state = _State.BODY
        return True

    def _step_body(self) -> bool:
        buffer = self._buffer
        index = buffer.find(self._delimiter)
        if index == -1:
            safe = self._safe_length()
            if safe:
                self._on_data(buffer[:safe])
                del buffer[:safe]
            return False
        if index:
            self._on_data(buffer[:index])
        del buffer[: index + len(self._delimiter)]
        self._end_part()
        self._state = _State.DELIMITER
        return True

    # -- parts ------------------------------------------------------------------------------------

    def _start_part(self, block: bytes) -> None:
        """Validate a part's headers and prepare to receive its content."""
        self._part_count += 1
        if self._part_count > self.max_fields:
            raise BadRequest("too many fields")
        headers = _parse_part_headers(block, self.charset)
        disposition, params = parse_options_header(headers.get("content-disposition", ""))
        if disposition != "form-data":
            raise BadRequest("multipart part without Content-Disposition: form-data")
        name = params.get("name")
        if name is None:
            raise BadRequest("multipart part without a name")
        content_type, type_params = parse_options_header(headers.get("content-type", ""))
        charset = type_params.get("charset")
        if "filename" in params:
            self._file = UploadedFile(
                name,
                params["filename"],
                content_type or "text/plain",  # RFC 7578 §4.4 default
                charset,
                headers,
                spool_limit=self._memory_left,  # 0: straight to disk (see UploadedFile)
                temp_dir=self.temp_dir,
            )
        else:
            # Checked now, not at decode time: an empty value would decode under any name.
            if charset is not None and not _is_text_charset(charset):
                raise BadRequest("invalid multipart field encoding")
            self._field_name = name
            self._field_charset = charset
            self._field_chunks = []

    def _on_data(self, chunk: bytearray) -> None:
        """Take the next piece of the current part's content."""
        if self._file is not None:
            self._file.write(chunk)
            return
        self._field_bytes += len(chunk)
        if self._field_bytes > self.max_memory_size:
            raise RequestEntityTooLarge("multipart form fields too large")
        self._field_chunks.append(chunk)

    def _end_part(self) -> None:
        """Store the part that just ended in ``fields`` or ``files``."""
        upload, self._file = self._file, None
        if upload is None:
            data = b"".join(self._field_chunks)
            self._field_chunks = []
            self._fields.add(self._field_name, self._decode(data, self._field_charset))
        elif not upload.filename and upload.size == 0:
            upload.close()  # a file input left empty ("no file chosen"): not an upload
        else:
            if upload.in_memory:
                self._memory_left -= upload.size
            upload.seek(0)
            self._files.add(upload.name, upload)

    def _decode(self, data: bytes, charset: str | None) -> str:
        try:
            # Non-text codecs (base64, zlib...) raise LookupError in bytes.decode(): no decompression.
            return data.decode(charset or self.charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise BadRequest("invalid multipart field encoding") from exc


def parse_multipart(
    body: bytes | bytearray | memoryview | Iterable[bytes], content_type: str, **limits: Any
) -> tuple[MultiDict[str], MultiDict[UploadedFile]]:
    """Parse a whole ``multipart/form-data`` body (bytes, or its pieces) given its Content-Type header value.

    ``limits`` are :class:`MultipartParser` keyword arguments (``charset``, ``max_fields``,
    ``max_memory_size``, ``spool_limit``, ``temp_dir``). A wrong media type or a missing or invalid
    boundary raises :class:`~duck.exceptions.BadRequest`.
    """
    media_type, params = parse_options_header(content_type)
    if media_type != "multipart/form-data":
        raise BadRequest("expected multipart/form-data")
    boundary = params.get("boundary")
    if not boundary:
        raise BadRequest("missing multipart boundary")
    try:
        raw_boundary = boundary.encode("ascii")
    except UnicodeEncodeError:
        raise BadRequest("invalid multipart boundary") from None
    parser = MultipartParser(raw_boundary, **limits)
    for piece in (body,) if isinstance(body, (bytes, bytearray, memoryview)) else body:
        parser.feed(piece)  # a malformed piece closes the parser (and its files) as it raises
    return parser.finish()
