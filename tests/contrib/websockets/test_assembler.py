"""MessageAssembler without a connection: frames in, messages out (RFC 6455 §5.4, §8.1)."""

from __future__ import annotations

import pytest
from websockets.frames import Opcode

from duck.contrib.websockets.assembler import MessageAssembler
from duck.contrib.websockets.enums import CloseCode, OpCode
from duck.exceptions import InvalidMessage

TEXT, BINARY, CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT


def test_a_single_frame_is_a_message():
    assembler = MessageAssembler()
    message = assembler.feed(TEXT, "héllo".encode(), fin=True)
    assert message is not None and (message.opcode, message.text) == (OpCode.TEXT, "héllo")
    binary = assembler.feed(BINARY, b"\x00\x01", fin=True)
    assert binary is not None and (binary.opcode, binary.bytes) == (OpCode.BINARY, b"\x00\x01")


def test_fragments_are_joined_and_a_character_may_span_them():
    assembler = MessageAssembler()
    encoded = "ducks 🦆".encode()
    assert assembler.feed(TEXT, encoded[:8], fin=False) is None  # the emoji is cut in the middle
    assert assembler.assembling == 8
    assert assembler.feed(CONT, encoded[8:9], fin=False) is None
    message = assembler.feed(CONT, encoded[9:], fin=True)
    assert message is not None and message.text == "ducks 🦆"
    assert assembler.assembling == 0


def test_invalid_utf8_fails_on_the_fragment_that_breaks_it():
    assembler = MessageAssembler()
    assembler.feed(TEXT, b"fine", fin=False)
    with pytest.raises(InvalidMessage) as info:
        assembler.feed(CONT, b"\xff", fin=False)  # not the end yet: failed at once
    assert info.value.code == CloseCode.INVALID_PAYLOAD
    assert assembler.assembling == 0


def test_invalid_utf8_in_a_single_frame_fails():
    with pytest.raises(InvalidMessage) as info:
        MessageAssembler().feed(TEXT, b"\xc3\x28", fin=True)
    assert info.value.code == CloseCode.INVALID_PAYLOAD


def test_a_truncated_character_at_the_end_fails():
    assembler = MessageAssembler()
    assembler.feed(TEXT, "é".encode()[:1], fin=False)
    with pytest.raises(InvalidMessage):
        assembler.feed(CONT, b"", fin=True)


def test_a_fragmented_message_over_the_cap_fails_with_1009():
    assembler = MessageAssembler(max_message_size=10)
    assembler.feed(BINARY, b"x" * 6, fin=False)
    with pytest.raises(InvalidMessage) as info:
        assembler.feed(CONT, b"x" * 5, fin=False)
    assert (info.value.code, info.value.reason) == (CloseCode.MESSAGE_TOO_BIG, "message exceeds 10 bytes")


def test_binary_is_not_checked_as_text():
    assembler = MessageAssembler()
    assembler.feed(BINARY, b"\xff", fin=False)
    message = assembler.feed(CONT, b"\xfe", fin=True)
    assert message is not None and message.bytes == b"\xff\xfe"


def test_reset_drops_the_partial_message():
    assembler = MessageAssembler()
    assembler.feed(BINARY, b"abc", fin=False)
    assembler.reset()
    assert assembler.assembling == 0
    assert assembler.feed(CONT, b"def", fin=True) is None  # a stray continuation (websockets refuses it first)
