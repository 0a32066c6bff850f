"""The members of each group in this process, and the fan-out loop every backend ends in.

A group is a set of connections; a connection also knows (through one close callback) to
leave every group when it closes. Fan-out encodes the message once (a
:class:`~duck.contrib.websockets.connection.PreparedFrame`) and hands the same bytes to each
member with :meth:`~duck.contrib.websockets.connection.WebSocketConnection.try_send_prepared`:
no await, no per-connection copy, no per-connection task on duck's server. A member whose
buffer is full gets the overflow policy (``GROUPS_OVERFLOW_POLICY``) instead of the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from duck.contrib.websockets.connection import OPEN, PreparedFrame, WebSocketConnection
from duck.contrib.websockets.enums import CloseCode

__all__ = ["LocalGroups", "check_group", "to_connection"]

logger = logging.getLogger("duck.websockets.groups")

# Close reason sent to a client dropped for falling behind (fits the 123 bytes of RFC 6455 §5.5).
_SLOW_REASON = "too slow: broadcast buffer full"


def to_connection(member: Any) -> WebSocketConnection:
    """The :class:`WebSocketConnection` behind any face of a connection.

    Accepts the connection itself, a ``WebSocketView`` instance, a Starlette-style
    ``WebSocket`` (``@websocket`` handlers) and dwebsocket's ``request.websocket``: each of
    them exposes the connection as ``.connection``.

    Raises:
        TypeError: ``member`` is none of those (or a view whose connection is not open yet).
    """
    if isinstance(member, WebSocketConnection):
        return member
    connection = getattr(member, "connection", None)
    if isinstance(connection, WebSocketConnection):
        return connection
    raise TypeError(
        f"Expected a WebSocket connection (a WebSocketConnection, WebSocketView, WebSocket or "
        f"request.websocket), not {type(member).__name__}."
    )


def check_group(group: Any) -> str:
    """Return ``group`` if it is a usable group name.

    Raises:
        TypeError: not a str.
        ValueError: empty.
    """
    if not isinstance(group, str):
        raise TypeError(f"A group name is a str, not {type(group).__name__}.")
    if not group:
        raise ValueError("A group name cannot be empty.")
    return group


class LocalGroups:
    """Group name -> member connections, for one process and event loop.

    Args:
        on_empty: called with a group's name when its last local member left (the Redis
            backend unsubscribes there); called from close callbacks, so it must not block.
    """

    __slots__ = ("_groups", "_member_of", "_on_empty")

    def __init__(self, on_empty: Callable[[str], None] | None = None) -> None:
        self._groups: dict[str, set[WebSocketConnection]] = {}
        # connection -> its groups; a connection is a key from its first join until it closes,
        # so the close callback is registered exactly once per connection.
        self._member_of: dict[WebSocketConnection, set[str]] = {}
        self._on_empty = on_empty

    def __len__(self) -> int:
        """Number of groups with at least one local member."""
        return len(self._groups)

    def __repr__(self) -> str:
        return f"<LocalGroups groups={len(self._groups)} connections={len(self._member_of)}>"

    # -- membership ----------------------------------------------------------------------------
    def add(self, group: str, connection: WebSocketConnection) -> bool:
        """Add ``connection`` to ``group``; True when the group had no local member before.

        A closed connection is not added (it would never leave).
        """
        if connection.closed:
            return False
        joined = self._member_of.get(connection)
        if joined is None:
            joined = self._member_of[connection] = set()
            connection.add_close_callback(self._forget)
        joined.add(group)
        members = self._groups.get(group)
        if members is None:
            self._groups[group] = {connection}
            return True
        members.add(connection)
        return False

    def discard(self, group: str, connection: WebSocketConnection) -> bool:
        """Remove ``connection`` from ``group``; True when that emptied the group."""
        joined = self._member_of.get(connection)
        if joined is not None:
            joined.discard(group)
        members = self._groups.get(group)
        if members is None or connection not in members:
            return False
        members.remove(connection)
        if members:
            return False
        del self._groups[group]
        return True

    def _forget(self, connection: WebSocketConnection) -> None:
        """Close callback: the connection leaves every group it was in."""
        for group in self._member_of.pop(connection, ()):
            if self.discard(group, connection) and self._on_empty is not None:
                self._on_empty(group)

    def members(self, group: str) -> frozenset[WebSocketConnection]:
        """The local members of ``group`` (a snapshot)."""
        return frozenset(self._groups.get(group, ()))

    def groups_of(self, connection: WebSocketConnection) -> frozenset[str]:
        """The groups ``connection`` is in (a snapshot)."""
        return frozenset(self._member_of.get(connection, ()))

    def names(self) -> list[str]:
        """Every group with at least one local member."""
        return list(self._groups)

    # -- fan-out -------------------------------------------------------------------------------
    def fan_out(
        self,
        group: str,
        frame: PreparedFrame,
        exclude: WebSocketConnection | int | None,
        max_buffer: int,
        overflow_policy: str,
    ) -> int:
        """Give ``frame`` to every local member of ``group`` but ``exclude``; return how many got it.

        ``exclude`` is a connection, or the ``id()`` of one (a message from another process
        names its excluded connection by id). Synchronous on purpose: no member can make the
        others wait. Members over ``max_buffer`` get ``overflow_policy`` ("close": closed
        with 1013, "drop": this message is skipped for them).
        """
        members = self._groups.get(group)
        if not members:
            return 0
        # A snapshot of the pointers, not of the message: closing a slow member below (or any
        # close callback) may change the set, and a set must not change while iterated. The
        # excluded member is taken out of it once (in C), not compared with every member.
        targets = list(members)
        if isinstance(exclude, int):
            exclude = next((connection for connection in targets if id(connection) == exclude), None)
        if exclude is not None and exclude in members:
            targets.remove(exclude)
        missed = 0
        behind: list[WebSocketConnection] | None = None
        for connection in targets:
            if not connection.try_send_prepared(frame, max_buffer):
                missed += 1
                if connection._state is OPEN:  # open but over its buffer: the overflow policy applies
                    if behind is None:
                        behind = []
                    behind.append(connection)
        if behind:
            self._overflow(group, behind, overflow_policy, max_buffer)
        return len(targets) - missed

    @staticmethod
    def _overflow(group: str, behind: list[WebSocketConnection], policy: str, max_buffer: int) -> None:
        if policy == "drop":
            logger.debug("Dropped a message of group %r for %d slow client(s)", group, len(behind))
            return
        # One line per fan-out, not per client: a burst can leave many clients behind at once.
        logger.warning(
            "Closing %d client(s) of group %r with 1013 (first: %r): each had %d bytes or more waiting "
            "(GROUPS_MAX_BUFFER, GROUPS_OVERFLOW_POLICY='close').",
            len(behind),
            group,
            behind[0],
            max_buffer,
        )
        for connection in behind:
            connection.close_nowait(CloseCode.TRY_AGAIN_LATER, _SLOW_REASON)
