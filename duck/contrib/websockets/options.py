"""The limits and timers of one kind of WebSocket connection, read from settings and the view class.

One :class:`ConnectionOptions` is shared by every connection of a view, so a connection
carries a pointer to its limits rather than a copy of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from websockets.extensions.base import ServerExtensionFactory

from duck.conf import global_settings, settings
from duck.contrib.websockets.deflate import LazyDeflateFactory
from duck.exceptions import ImproperlyConfigured


def _deflate_factory(idle_release: float | None, client_window_bits: int) -> LazyDeflateFactory:
    # RFC 7692 §7.1: our 4 KiB window (12 bits), the client's smaller one (the setting) and
    # memLevel 5 keep zlib's state per connection near 40 KiB instead of ~300 KiB with zlib's
    # defaults, for most of the compression ratio; it exists only while the connection compresses
    # (duck/contrib/websockets/deflate.py). The client's window is answered only to a client that
    # offered client_max_window_bits (§7.1.2.2); one that did not may use 32 KiB, all of it history.
    return LazyDeflateFactory(
        keep_history=idle_release is not None,
        server_max_window_bits=12,
        client_max_window_bits=client_window_bits,
        compress_settings={"memLevel": 5},
    )


class ConnectionOptions:
    """Limits and timers of a connection (``None`` disables a timer).

    Attributes:
        receive_timeout: seconds without any frame from the client before closing with 1001.
        max_frame_size: largest frame payload accepted, after decompression (1009 above).
        max_message_size: largest message assembled from fragments, after decompression (1009 above).
        receive_high_water: bytes of received messages queued for a slow handler before the socket
            stops being read (TCP then pushes back on the client).
        ping_interval: seconds of silence from the client before a keepalive ping.
        ping_timeout: seconds to wait for an answer to that ping before closing with 1011.
        close_timeout: seconds to wait for the client's close frame / TCP close after ours.
        write_high_water: bytes buffered for a slow reader before ``send_*`` waits for the socket.
        subprotocols: the subprotocols the route speaks, in order of preference.
        extensions: ``websockets`` extension factories to negotiate (permessage-deflate).
        compression_idle_release: seconds without compressing after which a connection's zlib
            contexts are freed (checked once per period); None keeps them.
        compression_client_window_bits: the ``client_max_window_bits`` answered to a client that
            offers it (``WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS``).
    """

    __slots__ = (
        "close_timeout",
        "compression_client_window_bits",
        "compression_idle_release",
        "extensions",
        "max_frame_size",
        "max_message_size",
        "ping_interval",
        "ping_timeout",
        "receive_high_water",
        "receive_timeout",
        "subprotocols",
        "write_high_water",
    )

    def __init__(
        self,
        *,
        receive_timeout: float | None = None,
        max_frame_size: int | None = None,
        max_message_size: int | None = None,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        close_timeout: float = 5.0,
        write_high_water: int = 64 * 1024,
        receive_high_water: int = 1024 * 1024,
        subprotocols: Sequence[str] = (),
        compression: bool = False,
        compression_idle_release: float | None = None,
        compression_client_window_bits: int = global_settings.WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS,
    ) -> None:
        self.receive_timeout = _positive_or_none(receive_timeout)
        self.max_frame_size = max_frame_size
        self.max_message_size = max_message_size
        self.ping_interval = _positive_or_none(ping_interval)
        self.ping_timeout = _positive_or_none(ping_timeout)
        self.close_timeout = close_timeout
        self.write_high_water = write_high_water
        self.receive_high_water = receive_high_water
        if isinstance(subprotocols, str):
            raise ImproperlyConfigured(f"SUBPROTOCOLS must be a list of strings: write [{subprotocols!r}].")
        self.subprotocols = tuple(subprotocols)
        self.compression_idle_release = _positive_or_none(compression_idle_release) if compression else None
        self.compression_client_window_bits = compression_client_window_bits
        self.extensions: list[ServerExtensionFactory] = (
            [_deflate_factory(self.compression_idle_release, compression_client_window_bits)] if compression else []
        )

    @classmethod
    def from_settings(
        cls,
        *,
        receive_timeout: float | None = None,
        max_frame_size: int | None = None,
        max_message_size: int | None = None,
        subprotocols: Sequence[str] = (),
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
    ) -> ConnectionOptions:
        """Options of a route: the given values, the ``WEBSOCKET_*`` settings for the rest.

        ``ping_interval``/``ping_timeout`` of None take the settings; 0 disables them for this route.
        ``max_message_size`` of None takes ``WEBSOCKET_MAX_MESSAGE_SIZE``, raised to ``max_frame_size``
        when that is larger: a route that accepts a frame of some size accepts it as a message. An
        explicit ``max_message_size`` below ``max_frame_size`` caps single frames too.
        """
        if max_message_size is None:
            max_message_size = settings.WEBSOCKET_MAX_MESSAGE_SIZE
            if max_frame_size is not None and (max_message_size is None or max_frame_size > max_message_size):
                max_message_size = max_frame_size
        return cls(
            receive_timeout=receive_timeout,
            max_frame_size=max_frame_size,
            max_message_size=max_message_size,
            ping_interval=settings.WEBSOCKET_PING_INTERVAL if ping_interval is None else ping_interval,
            ping_timeout=settings.WEBSOCKET_PING_TIMEOUT if ping_timeout is None else ping_timeout,
            close_timeout=settings.WEBSOCKET_CLOSE_TIMEOUT,
            write_high_water=settings.WEBSOCKET_WRITE_HIGH_WATER,
            receive_high_water=settings.WEBSOCKET_RECEIVE_HIGH_WATER,
            subprotocols=subprotocols,
            compression=settings.WEBSOCKET_COMPRESSION,
            compression_idle_release=settings.WEBSOCKET_COMPRESSION_IDLE_RELEASE,
            compression_client_window_bits=settings.WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS,
        )

    @property
    def max_size(self) -> tuple[int | None, int | None]:
        """``websockets``' ``max_size``: (message cap, frame cap), both applied after decompression."""
        return (self.max_message_size, self.max_frame_size)

    @property
    def whole_message_cap(self) -> int | None:
        """The cap on a message that arrives whole (under ASGI, or in one frame): both caps apply, the smaller wins."""
        caps = [cap for cap in (self.max_frame_size, self.max_message_size) if cap is not None]
        return min(caps) if caps else None

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "extensions")
        return f"ConnectionOptions({fields}, compression={bool(self.extensions)})"


def face_options() -> ConnectionOptions:
    """Limits of a dwebsocket or ``@websocket`` connection: the ``WEBSOCKET_*`` settings.

    No receive timeout (neither dwebsocket nor Starlette has one: a quiet chat is not a dead
    one; keepalive pings find dead peers) and no frame cap beyond the message cap.
    """
    return ConnectionOptions.from_settings(receive_timeout=None, max_frame_size=None)


def _positive_or_none(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None
