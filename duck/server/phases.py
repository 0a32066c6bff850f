"""Where an HTTP connection is in its life, and the pure rules that bound each phase in time and bytes.

No I/O here: the connection (``protocol.py``) tells these objects what happened and arms its one
timer where they say; each rule is tested by feeding it clock values and byte counts.

    IDLE ──first byte──► HEAD ──head complete──► BODY ──body complete──► ANSWERING ──► IDLE
      │  keepalive_timeout │ head_timeout (total)  │ stall + minimum rate              (keep-alive)
      └──────────── any error response ──────────► LINGER (bytes and seconds capped) ──► closed

    WAITING ──a slot holder gives way──► IDLE        (accepted while full: see ``Phase.WAITING``)
       └── NEW_CONNECTION_GRACE, still no slot ──► 503, LINGER
"""

from __future__ import annotations

import enum

__all__ = ["NEW_CONNECTION_GRACE", "BodyPace", "Phase", "eviction_rank"]


class Phase(enum.Enum):
    """What the connection is doing, and so which deadline guards it."""

    IDLE = "idle"  # waiting for the first byte of a request: SERVER_KEEPALIVE_TIMEOUT
    HEAD = "head"  # a request head has started: it must be complete within SERVER_HEAD_TIMEOUT (slowloris)
    BODY = "body"  # a request body is being read: BodyPace (a stall, or too slow on average)
    ANSWERING = "answering"  # the request was dispatched: no deadline, the view takes its time
    LINGER = "linger"  # an error response was sent: drop what still comes, within a byte and time cap
    # Accepted while every slot is taken and some holder has not been read yet (accepted in the same
    # burst): it waits for one to give way, at most NEW_CONNECTION_GRACE, rather than being refused
    # on bytes the server has not read. Not counted in the limit; what it sends waits unparsed.
    WAITING = "waiting"


class BodyPace:
    """The deadline of a request body: no byte for ``stall`` seconds, or too slow on average.

    After a grace period the body must have averaged at least ``min_rate`` bytes per second since
    its head was complete (as Kestrel's MinRequestBodyDataRate: 240 bytes/s after 5 s). One byte
    every few seconds re-arms a pure stall timer forever; an average cannot be gamed that way.

    Args:
        now: clock value when the head was complete.
        stall: seconds without any body byte before the body counts as abandoned.
        min_rate: bytes per second the body must average after ``grace``; 0 disables the rule.
        grace: seconds before the average rate is enforced (a slow start, TCP slow start).
    """

    __slots__ = ("_grace", "_last", "_min_rate", "_stall", "received", "start")

    def __init__(self, now: float, *, stall: float, min_rate: float, grace: float) -> None:
        self.start = now
        self._last = now
        self._stall = stall
        self._min_rate = min_rate
        self._grace = grace
        self.received = 0

    def progress(self, size: int, now: float) -> None:
        """``size`` body bytes arrived at ``now``."""
        self.received += size
        self._last = now

    def deadline(self) -> float:
        """When the body is too slow if nothing more arrives (re-check :meth:`too_slow` then)."""
        deadline = self._last + self._stall
        if self._min_rate > 0:
            paced = self.start + max(self._grace, self.received / self._min_rate)
            deadline = min(deadline, paced)
        return deadline

    def too_slow(self, now: float) -> str | None:
        """Why the body is refused at ``now`` (a message for the 408), or None while it is on time."""
        if now >= self._last + self._stall:
            return f"No part of the request body came for {self._stall:g} seconds."
        elapsed = now - self.start
        if self._min_rate > 0 and elapsed >= self._grace and self.received < self._min_rate * elapsed:
            return f"The request body came slower than {self._min_rate:g} bytes per second."
        return None


# A new connection has this long to send its first byte before a full server may give its slot away:
# without it, clients reconnecting in a loop would evict each other (and real clients) between
# accept() and their request's first packet.
NEW_CONNECTION_GRACE = 1.0
# Rates are judged over at least this many seconds, so a young connection that sent one byte a
# moment ago cannot look fast.
RATE_FLOOR = 1.0


def eviction_rank(phase: Phase, received: int, elapsed: float, min_rate: float, *, fresh: bool = False) -> float | None:
    """How readily a connection gives its slot to a new one when the server is full (lowest first).

    A connection that is closing anyway (LINGER) goes first, then an idle keep-alive one (its client
    reconnects as it would after any keep-alive timeout), then one reading its request slower than
    ``min_rate`` bytes per second, slowest first: a slow-body or slowloris attacker before anyone
    else. A connection reading at a fair pace, or whose request is being answered, is never
    evicted (None): when only those are left, the new connection is refused instead. A ``fresh``
    connection (no byte yet since it was accepted ``elapsed`` seconds ago) is kept for
    ``NEW_CONNECTION_GRACE``, then counts as reading at 0 bytes per second.
    """
    if phase is Phase.LINGER:
        return -2.0
    if fresh:
        return 0.0 if elapsed >= NEW_CONNECTION_GRACE else None
    if phase is Phase.IDLE:
        return -1.0
    if phase is Phase.ANSWERING or min_rate <= 0:
        return None
    rate = received / max(elapsed, RATE_FLOOR)
    return rate if rate < min_rate else None
