"""permessage-deflate (RFC 7692) whose zlib contexts exist only while a connection uses them.

Every browser negotiates permessage-deflate, and most of its connections sit idle. ``websockets``'
own extension allocates a compressor and a decompressor at the handshake (~30 KiB with our 4 KiB
windows), so 10,000 idle browsers would cost ~300 MiB of zlib state that never does anything.
:class:`LazyDeflate` allocates each context on the first message that needs it, and
:meth:`LazyDeflate.release` drops both between messages; the connection calls it once the
connection has not compressed or decompressed anything for ``WEBSOCKET_COMPRESSION_IDLE_RELEASE``,
and reports what it freed to :data:`duck.utils.heap.heap_trimmer` (glibc would keep it resident).

Why dropping them keeps RFC 7692 context takeover correct:

- **Our compressor.** Without ``server_no_context_takeover`` the client only declares that it
  *can* decompress a message the server built using context takeover (§7.1.1.1); using the
  previous window is the server's option, not its duty. A DEFLATE stream compressed from an empty window has no
  back-reference before its own start, so the client's inflater, whatever window it keeps, decodes
  it to the same bytes. A new compressor after a release only costs some ratio on one message.
  With ``server_no_context_takeover`` every message starts from an empty window anyway (§7.2.1).
- **Our decompressor.** Without ``client_no_context_takeover`` the client may refer, in any
  message, to the last ``2 ** client_max_window_bits`` bytes its earlier compressed messages
  inflated to (§7.1.2.2; the example of §7.2.3.2): that history must survive the release. We keep exactly those
  bytes (1 KiB with the 10 bits duck answers a browser's offer with,
  ``WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS``; 32 KiB for a client that did not offer
  ``client_max_window_bits``, whose window the server may not limit) and give them to the next decompressor as its
  preset dictionary: for a raw DEFLATE stream zlib's ``inflateSetDictionary`` copies the dictionary
  into the sliding window, so the restored inflater is in the state the released one was in.
  Uncompressed messages (RSV1 clear) never pass through the inflater, so they are not history.
  With ``client_no_context_takeover`` (accepted whenever the client offers it) there is no history
  and a decompressor lives for one message, as in ``websockets``.

Negotiation is ``websockets``' own :class:`ServerPerMessageDeflateFactory`; only the extension
instance it agrees on is replaced by ours.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.extensions.base import Extension, ServerExtensionFactory
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import CTRL_OPCODES, Frame, Opcode
from websockets.typing import ExtensionName, ExtensionParameter

__all__ = ["LazyDeflate", "LazyDeflateFactory"]

# RFC 7692 §7.2.1: the sender removes this empty stored block from the end of each message; the
# receiver puts it back so that the inflater sees the end of a flushed block.
_TAIL = b"\x00\x00\xff\xff"
# Below this size appending the tail (a copy) is cheaper than a second decompress() call.
_SMALL_FRAME = 2048
_CONT = Opcode.CONT


class LazyDeflate(Extension):
    """The agreed permessage-deflate of one connection, with contexts made on demand.

    Args:
        remote_no_context_takeover: ``client_no_context_takeover`` was agreed: each client
            message starts from an empty window.
        local_no_context_takeover: ``server_no_context_takeover`` was agreed.
        remote_max_window_bits: the client's LZ77 window (``client_max_window_bits``).
        local_max_window_bits: our LZ77 window (``server_max_window_bits``).
        compress_settings: more ``zlib.compressobj`` arguments (``memLevel``).
        keep_history: keep the client's window history so that :meth:`release` may drop the
            decompressor (False when contexts are never released: zlib keeps the window itself).

    Attributes:
        used: set by each compressed message in either direction; whoever checks for idleness
            clears it.
        on_allocate: called when a context that outlives its message is created while none
            was held (the connection then schedules an idleness check).
        on_release: called by :meth:`release` with about how many bytes of zlib state it freed
            (the connection reports them to :data:`~duck.utils.heap.heap_trimmer`).
        releases: how many times :meth:`release` freed contexts (for tests and debugging).
    """

    name = ExtensionName("permessage-deflate")

    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: dict[str, Any] | None = None,
        *,
        keep_history: bool = True,
    ) -> None:
        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = compress_settings or {}
        self.used = False
        self.on_allocate: Callable[[], None] | None = None
        self.on_release: Callable[[int], None] | None = None
        self.releases = 0
        self._decoder: Any = None  # zlib's Decompress (not exposed as a type)
        self._encoder: Any = None  # zlib's Compress
        self._decoding = False  # inside a compressed fragmented message from the client
        self._encoding = False  # inside a fragmented message we compress
        # The client's history: the last 2**remote_max_window_bits bytes its compressed messages
        # inflated to. Only needed when the decompressor can be dropped between messages.
        self._keep_history = keep_history and not remote_no_context_takeover
        self._history = b""

    def __repr__(self) -> str:
        return (
            f"LazyDeflate(remote_no_context_takeover={self.remote_no_context_takeover}, "
            f"local_no_context_takeover={self.local_no_context_takeover}, "
            f"remote_max_window_bits={self.remote_max_window_bits}, "
            f"local_max_window_bits={self.local_max_window_bits}, holding={self.holding})"
        )

    @property
    def holding(self) -> bool:
        """True while a zlib context is allocated."""
        return self._decoder is not None or self._encoder is not None

    def release(self) -> bool:
        """Drop the zlib contexts, unless a fragmented message is half-way through one.

        Returns True if nothing is held any more. The next compressed message makes a new
        context: the decompressor starts from the client's history, the compressor from an
        empty window (see the module docstring for why both are correct).
        """
        if self._decoding or self._encoding:
            return False
        if self.holding:
            size = self._held_size()
            self._decoder = self._encoder = None
            self.releases += 1
            if self.on_release is not None:
                self.on_release(size)
        return True

    def _held_size(self) -> int:
        # zlib's own sizes (zlib.h's "Memory use"): inflate keeps ~7 KiB of state and its window;
        # deflate ~6 KiB, twice its window, the window's chain links, the hash heads and the
        # pending buffer (these two by memLevel).
        size = 0
        if self._decoder is not None:
            size += 7168 + (1 << self.remote_max_window_bits)
        if self._encoder is not None:
            mem_level = self.compress_settings.get("memLevel", 8)
            size += 6144 + (4 << self.local_max_window_bits) + (4 << (mem_level + 7))
        return size

    # -- receiving ---------------------------------------------------------------------------------
    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """Inflate a frame of a compressed message (RSV1 on its first frame, RFC 7692 §6.1)."""
        opcode = frame.opcode
        if opcode in CTRL_OPCODES:
            return frame
        if opcode is _CONT:
            if not self._decoding:
                return frame  # a fragment of an uncompressed message
            if frame.rsv1:
                raise ProtocolError("RSV1 bit set in continuation frame")
        else:
            if not frame.rsv1:
                return frame  # an uncompressed message: allowed, and not part of the history
            self._decoding = True
            if self.remote_no_context_takeover:
                self._decoder = None  # every message starts from an empty window
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = self._new_decoder()
        self.used = True
        data = self._inflate(decoder, frame, max_size)
        if self._keep_history:
            self._remember(data)
        if frame.fin:
            self._decoding = False
            if self.remote_no_context_takeover:
                self._decoder = None
        return Frame(opcode, data, frame.fin, False, frame.rsv2, frame.rsv3)

    def _new_decoder(self) -> Any:
        wbits = -self.remote_max_window_bits
        if self.remote_no_context_takeover:
            return zlib.decompressobj(wbits=wbits)
        self._allocated()
        if self._history:
            return zlib.decompressobj(wbits=wbits, zdict=self._history)
        return zlib.decompressobj(wbits=wbits)

    @staticmethod
    def _inflate(decoder: Any, frame: Frame, max_size: int | None) -> bytes:
        # max_length bounds the output, so a small frame cannot inflate past the size limit.
        max_length = 0 if max_size is None else max_size
        source = frame.data
        small_end = frame.fin and len(source) < _SMALL_FRAME
        try:
            data: bytes = decoder.decompress(bytes(source) + _TAIL if small_end else source, max_length)
            if decoder.unconsumed_tail:
                raise PayloadTooBig(None, max_size)
            # Large final frame: the tail goes in on its own; any output it releases was held
            # back by max_length, so it is over the limit.
            if frame.fin and not small_end and decoder.decompress(_TAIL, 1):
                raise PayloadTooBig(None, max_size)
        except zlib.error as exc:
            raise ProtocolError("decompression failed") from exc
        return data

    def _remember(self, data: bytes) -> None:
        window = 1 << self.remote_max_window_bits
        size = len(data)
        if size >= window:
            self._history = data[-window:]
        elif size:
            self._history = self._history[size - window :] + data

    # -- sending -----------------------------------------------------------------------------------
    def encode(self, frame: Frame) -> Frame:
        """Deflate every data frame we send; RSV1 marks the first frame of each message."""
        opcode = frame.opcode
        if opcode in CTRL_OPCODES:
            return frame
        encoder = self._encoder
        if encoder is None:  # first message, after a release, or each one without context takeover
            encoder = self._encoder = self._new_encoder()
        self.used = True
        data = encoder.compress(frame.data) + encoder.flush(zlib.Z_SYNC_FLUSH)
        self._encoding = not frame.fin
        if frame.fin:
            data = data[:-4]  # the flush ends with the empty stored block: RFC 7692 §7.2.1 drops it
            if self.local_no_context_takeover:
                self._encoder = None
        return Frame(opcode, data, frame.fin, opcode is not _CONT, frame.rsv2, frame.rsv3)

    def _new_encoder(self) -> Any:
        if not self.local_no_context_takeover:
            self._allocated()
        return zlib.compressobj(wbits=-self.local_max_window_bits, **self.compress_settings)

    def _allocated(self) -> None:
        if not self.holding and self.on_allocate is not None:
            self.on_allocate()


class LazyDeflateFactory(ServerExtensionFactory):
    """Negotiates permessage-deflate with ``websockets``' factory, then agrees on a :class:`LazyDeflate`.

    Args:
        keep_history: passed to each :class:`LazyDeflate` (True when idle contexts are released).
        **negotiation: :class:`ServerPerMessageDeflateFactory`'s arguments.
    """

    name = ExtensionName("permessage-deflate")

    def __init__(self, *, keep_history: bool, **negotiation: Any) -> None:
        self._negotiator = ServerPerMessageDeflateFactory(**negotiation)
        self.keep_history = keep_history

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], LazyDeflate]:
        # websockets' extension allocates both contexts at once; it is dropped right here (about
        # a microsecond) so that the RFC 7692 §7.1 negotiation rules stay websockets' own.
        response, agreed = self._negotiator.process_request_params(params, accepted_extensions)
        extension = LazyDeflate(
            agreed.remote_no_context_takeover,
            agreed.local_no_context_takeover,
            agreed.remote_max_window_bits,
            agreed.local_max_window_bits,
            agreed.compress_settings,
            keep_history=self.keep_history,
        )
        return response, extension
