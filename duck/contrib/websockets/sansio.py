"""Glue over ``websockets``' sans-I/O server core: the few places where duck decides differently.

The core does the wire protocol (RFC 6455 framing, masking, control frames, the close handshake,
RFC 7692 compression); this module holds the small adjustments and the helpers that read its state.
"""

from __future__ import annotations

import struct
from typing import Any

from websockets.exceptions import ProtocolError
from websockets.frames import Close, Opcode
from websockets.server import ServerProtocol

from duck.contrib.websockets.enums import CloseCode
from duck.contrib.websockets.handshake import select_subprotocol

__all__ = ["DuckServerProtocol", "check_close", "close_info", "server_frame"]

_HEAD_16 = struct.Struct("!BBH").pack
_HEAD_64 = struct.Struct("!BBQ").pack


class DuckServerProtocol(ServerProtocol):
    """``websockets``' server core with two rules of its own.

    - Subprotocols (RFC 6455 §4.2.2): the server picks the first of its subprotocols the client
      offered; if none matches, the handshake still succeeds without one (``websockets`` would
      refuse with 400) and the client decides whether it can go on.
    - A close frame inside a fragmented message ends the connection normally (see :meth:`recv_frame`).
    """

    def recv_frame(self, frame: Any) -> None:
        """A close frame in the middle of a fragmented message is a normal close, not an error.

        RFC 6455 §5.4 lets control frames interleave with fragments, and §7.1.2 makes a close
        frame end the connection; the unfinished message is simply never delivered. (websockets
        fails such a connection with 1002; the Autobahn suite, case 7.1.5, expects the client's
        code to be echoed.)
        """
        if frame.opcode is Opcode.CLOSE and self.current_size is not None:
            self.current_size = None  # drop the unfinished message
        super().recv_frame(frame)

    def select_subprotocol(self, subprotocols: Any) -> Any:
        return select_subprotocol(self.available_subprotocols or (), subprotocols or ())

    def break_cycles(self) -> None:
        """Let reference counting free this core (its buffers, its zlib contexts) as soon as it is dropped.

        websockets keeps its frame parser as a generator whose frame refers back to the core, and
        the exception that ended parsing, whose traceback does too: two cycles that would keep a
        closed connection's core alive until the cyclic garbage collector runs. Call it only on a
        core that will never be used again.
        """
        self.parser.close()
        self.parser_exc = None


def server_frame(opcode: int, payload: bytes | bytearray | memoryview) -> bytes:
    """One complete server frame, unmasked and uncompressed (RFC 6455 §5.2): FIN, opcode, length, payload.

    The bytes ``websockets``' ``Frame(...).serialize(mask=False)`` writes for it, without a
    ``Frame`` object: for a data message whose framing needs nothing from a connection's state
    (no extension agreed), or one encoded once for many connections.
    """
    first = 0x80 | opcode
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return _HEAD_16(first, 126, size) + payload
    return _HEAD_64(first, 127, size) + payload


def close_info(ws: ServerProtocol | None) -> tuple[int, str]:
    """Code and reason of the close frame that started the closing handshake, or 1006 if none did."""
    if ws is None:
        return CloseCode.ABNORMAL_CLOSURE, ""
    received, sent = ws.close_rcvd, ws.close_sent
    if received is not None and (sent is None or ws.close_rcvd_then_sent):
        return received.code, received.reason
    if sent is not None:
        return sent.code, sent.reason
    return CloseCode.ABNORMAL_CLOSURE, ""


def check_close(code: int, reason: str) -> None:
    """Refuse what may not go in a close frame (RFC 6455 §5.5: 125-byte payload; §7.4: codes)."""
    try:
        Close(code, reason).check()
    except ProtocolError:
        raise ValueError(f"{code} is not a close code an endpoint may send (RFC 6455 §7.4).") from None
    if len(reason.encode()) > 123:
        raise ValueError("A close reason must fit in 123 bytes of UTF-8 (RFC 6455 §5.5).")
