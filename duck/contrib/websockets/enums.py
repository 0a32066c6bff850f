"""WebSocket opcodes (RFC 6455 §5.2, §11.8) and close codes (RFC 6455 §7.4.1, §11.7)."""

from __future__ import annotations

from enum import IntEnum


class OpCode(IntEnum):
    """The frame opcodes of RFC 6455 §5.2; ``on_receive`` gets TEXT or BINARY."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(IntEnum):
    """Status codes of a close frame (RFC 6455 §7.4.1).

    1005 and 1006 are never sent on the wire: they report "the close frame had no code"
    and "the connection dropped without a close frame" (RFC 6455 §7.1.5, §7.4.1).
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
