"""Frames in, complete messages out: the pure policy of turning data frames into messages.

No I/O and no asyncio: the connection feeds each data frame that ``websockets``' sans-I/O core
parsed (text, binary or continuation) and gets back a complete :class:`Message`, or None while a
fragmented message is still coming. What it enforces:

- fragments are joined in one buffer (RFC 6455 §5.4): a message sent as many tiny fragments costs
  its size in memory, not an object per fragment;
- text is valid UTF-8 (RFC 6455 §8.1), checked fragment by fragment so a connection fails as soon as
  the text is broken, not after the whole message arrived;
- a message is at most ``max_message_size`` bytes (1009 above).

A broken rule raises :class:`~duck.exceptions.InvalidMessage` with the close code to fail with.
"""

from __future__ import annotations

import codecs
from typing import Any

from websockets.frames import Opcode

from duck.contrib.websockets.connection import Message
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.exceptions import InvalidMessage

__all__ = ["MessageAssembler"]

_TEXT, _BINARY = Opcode.TEXT, Opcode.BINARY


class MessageAssembler:
    """Assembles the data frames of one connection into messages.

    Args:
        max_message_size: the largest message in bytes; None for no cap (``websockets`` also caps
            messages while parsing, so this is a second line, kept in case that changes).
    """

    __slots__ = ("_buffer", "_decoder", "_opcode", "max_message_size")

    def __init__(self, max_message_size: int | None = None) -> None:
        self.max_message_size = max_message_size
        self._opcode: OpCode | None = None  # of the fragmented message being assembled
        self._buffer: bytearray | None = None
        self._decoder: Any = None  # an incremental UTF-8 decoder while a text message is assembled

    @property
    def assembling(self) -> int:
        """Bytes of the fragmented message held so far (0 when none is in progress)."""
        return 0 if self._buffer is None else len(self._buffer)

    def feed(self, opcode: Opcode, data: bytes | bytearray | memoryview, fin: bool) -> Message | None:
        """Take one data frame; the complete message, or None while fragments are still due.

        Raises:
            InvalidMessage: invalid UTF-8 in a text message (1007), or a message over the cap (1009).
        """
        if type(data) is not bytes:
            data = bytes(data)  # websockets gives bytes; a buffer would be held past this frame
        if opcode is _TEXT or opcode is _BINARY:
            if fin:
                return _message(opcode, data)
            self._start(opcode, data)
            return None
        return self._continue(data, fin)

    def reset(self) -> None:
        """Drop the message being assembled (the connection closed in the middle of it)."""
        self._buffer = self._decoder = self._opcode = None

    def _start(self, opcode: Opcode, data: bytes) -> None:
        self._buffer = bytearray(data)
        if opcode is _TEXT:
            self._opcode = OpCode.TEXT
            self._decoder = codecs.getincrementaldecoder("utf-8")()
            self._check_text(data, final=False)
        else:
            self._opcode = OpCode.BINARY

    def _continue(self, data: bytes, fin: bool) -> Message | None:
        buffer = self._buffer
        if buffer is None:  # websockets refuses a stray continuation frame before we see it
            return None
        buffer += data
        if self._decoder is not None:
            self._check_text(data, final=fin)
        cap = self.max_message_size
        if cap is not None and len(buffer) > cap:
            self.reset()
            raise InvalidMessage(CloseCode.MESSAGE_TOO_BIG, f"message exceeds {cap} bytes")
        if not fin:
            return None
        opcode = self._opcode
        self.reset()
        return _message(_TEXT if opcode is OpCode.TEXT else _BINARY, bytes(buffer))

    def _check_text(self, data: bytes, final: bool) -> None:
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError:
            self.reset()
            raise InvalidMessage(CloseCode.INVALID_PAYLOAD, "invalid UTF-8 in a text message") from None


def _message(opcode: Opcode, data: bytes) -> Message:
    if opcode is _TEXT:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise InvalidMessage(CloseCode.INVALID_PAYLOAD, "invalid UTF-8 in a text message") from None
        return Message(OpCode.TEXT, data, text)
    return Message(OpCode.BINARY, data)
