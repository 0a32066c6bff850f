"""FrameSplitter + websockets' core must see exactly what the core alone sees, however the bytes arrive.

The reference is a websockets core fed the whole stream. The splitter gets the same stream in
chunks (whole, byte by byte, random cuts, with trailing partial frames): whole messages it reads
itself become frames directly, the rest is fed to a second core. The two sequences of frames,
and how each core ended (failed with which code), must be the same.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest
from websockets.frames import Opcode
from websockets.protocol import State

from duck.contrib.websockets.framing import FrameSplitter
from duck.contrib.websockets.sansio import DuckServerProtocol
from tests.contrib.websockets.helpers import masked_frame

LOGGER = logging.getLogger("tests.framing")


def client_frame(opcode: int, payload: bytes, *, masked: bool = True, **options: Any) -> bytes:
    return masked_frame(opcode, payload, mask=masked, **options)


def core(cap: int | None) -> DuckServerProtocol:
    return DuckServerProtocol(state=State.OPEN, max_size=(cap, cap), logger=LOGGER)


def outcome(ws: DuckServerProtocol) -> tuple[State, int | None]:
    return ws.state, None if ws.close_sent is None else ws.close_sent.code


def reference(stream: bytes, cap: int | None) -> tuple[list[tuple[Opcode, bytes, bool]], tuple[State, int | None]]:
    ws = core(cap)
    ws.receive_data(stream)
    frames = [(f.opcode, bytes(f.data), f.fin) for f in ws.events_received()]
    return frames, outcome(ws)


def split(
    chunks: list[bytes], cap: int | None
) -> tuple[list[tuple[Opcode, bytes, bool]], tuple[State, int | None], int]:
    """What the connection does: whole messages from the splitter, the rest through a core, in order."""
    splitter = FrameSplitter(cap)
    ws = core(cap)
    frames: list[tuple[Opcode, bytes, bool]] = []
    taken = 0
    for chunk in chunks:
        for item in splitter.feed(chunk):
            if isinstance(item, bytes):
                ws.receive_data(item)
                frames += [(f.opcode, bytes(f.data), f.fin) for f in ws.events_received()]
            elif ws.state is State.OPEN:  # after a close or a failure data frames are dropped
                frames.append((Opcode(item[0]), item[1], True))
                taken += 1
    return frames, outcome(ws), taken


def chunkings(stream: bytes, rng: random.Random) -> list[list[bytes]]:
    cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, 7))) if len(stream) > 1 else []
    random_cuts = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return [[stream], [stream[i : i + 1] for i in range(len(stream))], random_cuts]


def random_stream(rng: random.Random) -> bytes:
    """Valid frames: whole messages of every length form, fragmented ones with control frames inside."""
    parts = []
    for _ in range(rng.randrange(1, 12)):
        size = rng.choice([0, 1, 5, 125, 126, 300, 65535, 65536])
        payload = bytes(rng.randrange(32, 127) for _ in range(size)) if size < 1000 else b"a" * size
        kind = rng.random()
        if kind < 0.5:
            parts.append(client_frame(rng.choice([1, 2]), payload))
        elif kind < 0.6:
            parts.append(client_frame(rng.choice([1, 2]), payload[:100], long=True))  # 64-bit length form
        elif kind < 0.8:
            parts.append(client_frame(1, b"one ", fin=False))
            parts.append(client_frame(0x9, b"ping inside"))  # control frames may interleave (§5.4)
            parts.append(client_frame(0, b"two ", fin=False))
            parts.append(client_frame(0, payload[:50], fin=True))
        else:
            parts.append(client_frame(rng.choice([0x9, 0xA]), payload[:125]))
    return b"".join(parts)


@pytest.mark.parametrize("seed", range(40))
def test_valid_streams_split_into_the_same_frames_whatever_the_chunks(seed: int):
    rng = random.Random(seed)
    stream = random_stream(rng)
    cap = rng.choice([None, 1 << 20, 200])
    expected = reference(stream, cap)
    for chunks in chunkings(stream, rng):
        frames, state, _taken = split(chunks, cap)
        assert (frames, state) == expected


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (client_frame(1, b"not masked", masked=False), 1002),
        (client_frame(1, b"rsv1 without an extension", rsv=0x40), 1002),
        (client_frame(3, b"reserved opcode"), 1002),
        (client_frame(0, b"continuation of nothing"), 1002),
        (client_frame(1, b"x" * 300), 1009),  # over the cap of 200
    ],
)
def test_invalid_frames_reach_the_core_which_fails_the_connection_as_alone(bad: bytes, code: int):
    stream = client_frame(1, b"before") + bad + client_frame(1, b"after: never delivered")
    expected = reference(stream, 200)
    assert expected[1] == (State.CLOSING, code)
    for chunks in chunkings(stream, random.Random(code)):
        assert split(chunks, 200)[:2] == expected


def test_a_data_frame_inside_a_fragmented_message_is_the_cores_protocol_error():
    stream = client_frame(1, b"start", fin=False) + client_frame(1, b"a new message: not allowed here")
    expected = reference(stream, None)
    assert expected[1] == (State.CLOSING, 1002)
    assert split([stream], None)[:2] == expected


def test_whole_small_messages_are_read_without_the_core():
    stream = b"".join(client_frame(opcode, b"message %d" % i) for i, opcode in enumerate([1, 2, 1]))
    frames, _state, taken = split([stream], None)
    assert taken == 3 and [f[1] for f in frames] == [b"message 0", b"message 1", b"message 2"]


def test_a_frame_still_arriving_is_handed_to_the_core_with_what_it_still_needs():
    splitter = FrameSplitter(None)
    big = client_frame(2, b"z" * 100_000)
    first = splitter.feed(big[:1000])
    assert first == [big[:1000]]  # started at the core
    assert splitter.feed(big[1000:-10]) == [big[1000:-10]]
    follow = client_frame(1, b"next")
    assert splitter.feed(big[-10:] + follow) == [big[-10:], (1, b"next")]  # the rest, then the fast path again


def test_a_partial_header_waits_for_its_end():
    splitter = FrameSplitter(None)
    frame = client_frame(1, b"x" * 200)  # 2 + 2 + 4 bytes of header
    assert splitter.feed(frame[:3]) == []
    assert splitter.feed(frame[3:]) == [(1, b"x" * 200)]
