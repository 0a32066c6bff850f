"""When a WebSocket connection must act next: receive timeout, keepalive pings, close timeout,
and the idleness check of its compression contexts.

A pure object, driven by the clock values it is given (no asyncio, no socket): the I/O glue tells
it what happened (a frame arrived, a ping went out, the closing handshake started), asks it for the
next deadline to arm its one timer at, and when the timer fires asks what is due. Tested by
feeding it times, without a loop or a connection.

Liveness is tracked by *events*, not by comparing timestamps: an answer to a ping is "a frame
arrived after the ping went out", recorded as such. Comparing ``last_frame <= ping_sent`` breaks on
clocks with millisecond steps (uvloop's ``loop.time()``), where a pong on a fast link carries the
same timestamp as its ping and looked unanswered.
"""

from __future__ import annotations

import enum

__all__ = ["Deadlines", "Due"]


class Due(enum.Enum):
    """What the connection must do when its timer fires."""

    NOTHING = "nothing"  # woke up early, or an earlier deadline moved: re-arm
    PING = "ping"  # the client was silent for ping_interval: send a keepalive ping
    PING_TIMEOUT = "ping timeout"  # the ping was not answered within ping_timeout: fail with 1011
    RECEIVE_TIMEOUT = "receive timeout"  # no frame at all for receive_timeout: close with 1001
    CLOSE_TIMEOUT = "close timeout"  # the closing handshake did not finish: drop the TCP connection


class Deadlines:
    """The timers of one connection (``None`` disables one).

    Args:
        now: the clock value when the connection opened.
        receive_timeout: seconds without any frame from the client before closing (1001).
        ping_interval: seconds of silence from the client before a keepalive ping.
        ping_timeout: seconds a ping may stay unanswered (1011); None waits ``ping_interval`` again.
        close_timeout: seconds the closing handshake may take once started.
        compression_idle: seconds between idleness checks of held compression contexts
            (None: they are never released).
    """

    __slots__ = (
        "_close_at",
        "_close_timeout",
        "_compression_check_at",
        "_compression_idle",
        "_last_frame",
        "_ping_interval",
        "_ping_sent",
        "_ping_timeout",
        "_receive_timeout",
    )

    def __init__(
        self,
        now: float,
        *,
        receive_timeout: float | None = None,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        close_timeout: float = 5.0,
        compression_idle: float | None = None,
    ) -> None:
        self._receive_timeout = receive_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._close_timeout = close_timeout
        self._last_frame = now
        self._ping_sent: float | None = None  # when the unanswered ping went out; None: none is waiting
        self._close_at: float | None = None
        self._compression_idle = compression_idle
        self._compression_check_at: float | None = None  # None: no contexts held, nothing to check

    # -- what happened ----------------------------------------------------------------------------
    def frame_received(self, now: float) -> None:
        """A frame (data, ping, pong or close) came from the client: it is alive, any ping is answered."""
        self._last_frame = now
        self._ping_sent = None

    def ping_sent(self, now: float) -> None:
        """A keepalive ping went out; a frame must come back within ``ping_timeout``."""
        self._ping_sent = now

    def closing(self, now: float) -> None:
        """The closing handshake started (either side): the connection must be gone by the close timeout."""
        if self._close_at is None:
            self._close_at = now + self._close_timeout

    def compression_held(self, now: float) -> None:
        """Compression contexts were allocated (or were used since the last check): check again later."""
        if self._compression_idle is not None:
            self._compression_check_at = now + self._compression_idle

    def compression_released(self) -> None:
        """The contexts were freed: nothing to check until they are allocated again."""
        self._compression_check_at = None

    def compression_check_due(self, now: float) -> bool:
        """Whether the contexts' idleness must be checked now (never once closing: they go with the core)."""
        check_at = self._compression_check_at
        return check_at is not None and self._close_at is None and now >= check_at

    @property
    def is_closing(self) -> bool:
        return self._close_at is not None

    # -- what is next -----------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """The clock value at which :meth:`due` may next return something other than NOTHING."""
        if self._close_at is not None:
            return self._close_at
        deadline = None
        if self._receive_timeout is not None:
            deadline = self._last_frame + self._receive_timeout
        for other in (self._keepalive_deadline(), self._compression_check_at):
            if other is not None and (deadline is None or other < deadline):
                deadline = other
        return deadline

    def _keepalive_deadline(self) -> float | None:
        interval = self._ping_interval
        if interval is None:
            return None
        if self._ping_sent is None:
            return self._last_frame + interval
        return self._ping_sent + (self._ping_timeout if self._ping_timeout is not None else interval)

    def due(self, now: float) -> Due:
        """What is due at ``now`` (call when the timer fires; re-arm at :meth:`next_deadline` after)."""
        if self._close_at is not None:
            return Due.CLOSE_TIMEOUT if now >= self._close_at else Due.NOTHING
        if self._receive_timeout is not None and now >= self._last_frame + self._receive_timeout:
            return Due.RECEIVE_TIMEOUT
        keepalive = self._keepalive_deadline()
        if keepalive is None or now < keepalive:
            return Due.NOTHING
        if self._ping_sent is not None and self._ping_timeout is not None:
            return Due.PING_TIMEOUT
        return Due.PING  # first ping, or no ping timeout: ping again after another interval
