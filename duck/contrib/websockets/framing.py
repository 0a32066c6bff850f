"""Which bytes of a client's stream duck reads itself, and which go to websockets' core (sans-I/O).

On a connection without extensions nearly every frame a client sends is a whole message: FIN
set, no RSV bit, text or binary, masked, small. For those ``websockets``' generic parser (a
generator per frame, a ``Frame`` object, its checks: ~3.5 us) is most of what receiving costs,
while the frame itself is a header to read and a mask to apply (RFC 6455 §5.2, §5.3).
:class:`FrameSplitter` reads the headers of what arrives: complete frames of that kind come out
as ``(opcode, payload)``, unmasked; everything else (control frames, fragments, frames with RSV
bits or no mask, reserved opcodes, frames over the size cap, frames not complete yet) comes out
as bytes for the core, unchanged and always starting at a frame boundary. The core therefore
sees whole frames, or the beginning of one whose remaining length is known, and its state is
what parsing every frame would have left: a frame taken here changes nothing the core tracks
(its fragment state stays "no message in progress", which the splitter follows from headers).
Whatever the core receives it validates and answers as before (close codes, pongs, failures).
"""

from __future__ import annotations

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C extension
    from websockets.utils import apply_mask

__all__ = ["FrameSplitter"]

# Text and binary frames with FIN set and RSV1-3 clear (RFC 6455 §5.2): the ones read here.
_WHOLE = (0x81, 0x82)
_MASKED = 0x80


class FrameSplitter:
    """The receive side's split between duck's fast path and websockets' core, for one connection.

    Args:
        cap: the largest payload a whole message may have (the smaller of the frame and message
            caps; None for none); a frame over it goes to the core, which fails it with 1009.
    """

    __slots__ = ("_cap", "_fragmented", "_owed", "_pending")

    def __init__(self, cap: int | None) -> None:
        self._cap = cap
        self._pending = b""  # the start of a frame header that is not complete yet (< 14 bytes)
        self._owed = 0  # bytes of a frame already started at the core, still to come
        self._fragmented = False  # a fragmented message is in progress (its frames go to the core)

    def feed(self, data: bytes) -> list[tuple[int, bytes] | bytes]:
        """Split ``data``: ``(opcode, payload)`` for frames read here, ``bytes`` for the core, in stream order."""
        if self._pending:
            data, self._pending = self._pending + data, b""
        items: list[tuple[int, bytes] | bytes] = []
        pos, end = 0, len(data)
        owed = self._owed
        if owed:
            if end <= owed:
                self._owed = owed - end
                return [data]
            self._owed = 0
            items.append(data[:owed])
            pos = owed
        core_from = -1  # start of a run of frames for the core
        cap = self._cap
        while end - pos >= 2:
            first, second = data[pos], data[pos + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            masked = second & _MASKED
            if masked:
                head += 4
            if end - pos < head:
                break
            frame_end = pos + head + length
            if (
                first in _WHOLE
                and masked
                and head < 14
                and not self._fragmented
                and (cap is None or length <= cap)
                and frame_end <= end
            ):
                if core_from >= 0:
                    items.append(data[core_from:pos])
                    core_from = -1
                payload = apply_mask(data[pos + head : frame_end], data[pos + head - 4 : pos + head])
                items.append((first & 0x0F, payload))
                pos = frame_end
                continue
            self._follow_fragments(first)
            if core_from < 0:
                core_from = pos
            if frame_end > end:  # the core reads the rest of this frame as it arrives
                self._owed = frame_end - end
                items.append(data[core_from:])
                return items
            pos = frame_end
        if core_from >= 0:
            items.append(data[core_from:pos])
        if pos < end:
            self._pending = data[pos:]
        return items

    def _follow_fragments(self, first: int) -> None:
        # RFC 6455 §5.4: a text/binary frame without FIN starts a fragmented message, a
        # continuation frame with FIN ends it; control frames may come in between. Invalid
        # sequences are the core's to refuse (it fails the connection: nothing after counts).
        opcode, fin = first & 0x0F, first & 0x80
        if opcode in (1, 2) and not fin:
            self._fragmented = True
        elif opcode == 0 and fin:
            self._fragmented = False
