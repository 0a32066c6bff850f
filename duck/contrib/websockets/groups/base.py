"""What every groups backend does, and the in-memory backend (one process, the default).

A backend lives on one event loop (duck's server runs one per process; tests one per test):
it holds the local members (:class:`~.local.LocalGroups`) and decides how a message reaches
the members in *other* processes. The in-memory backend has no other processes to reach.
"""

from __future__ import annotations

from duck.conf import settings
from duck.contrib.websockets.connection import PreparedFrame, WebSocketConnection
from duck.contrib.websockets.groups.local import LocalGroups

__all__ = ["Backend", "MemoryBackend"]


class Backend:
    """A groups backend (abstract): membership is local; :meth:`send` reaches every member.

    Attributes:
        local: the members in this process.
        closed: True once :meth:`aclose` ran; the next use of ``groups`` makes a new backend.
    """

    name = "?"

    def __init__(self) -> None:
        self.local = LocalGroups(on_empty=self._group_emptied)
        self.closed = False

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<{type(self).__name__} {self.local!r}{state}>"

    async def add(self, group: str, connection: WebSocketConnection) -> None:
        """Make ``connection`` a member of ``group``; messages sent from then on reach it."""
        self.local.add(group, connection)

    async def discard(self, group: str, connection: WebSocketConnection) -> None:
        """Remove ``connection`` from ``group`` (nothing happens if it was not a member)."""
        if self.local.discard(group, connection):
            self._group_emptied(group)

    async def send(self, group: str, frame: PreparedFrame, exclude: WebSocketConnection | None) -> None:
        """Deliver ``frame`` to every member of ``group``, wherever it is connected, but ``exclude``."""
        raise NotImplementedError

    def deliver(self, group: str, frame: PreparedFrame, exclude: WebSocketConnection | int | None) -> int:
        """Fan ``frame`` out to the local members of ``group`` with the current buffer settings."""
        return self.local.fan_out(group, frame, exclude, settings.GROUPS_MAX_BUFFER, settings.GROUPS_OVERFLOW_POLICY)

    def _group_emptied(self, group: str) -> None:
        """The last local member of ``group`` left (hook for backends that subscribe per group)."""

    async def aclose(self) -> None:
        """Release what the backend holds (connections to a broker); members are left as they are."""
        self.closed = True


class MemoryBackend(Backend):
    """Groups within one process: :meth:`send` is the local fan-out, nothing to install or run."""

    name = "memory"

    async def send(self, group: str, frame: PreparedFrame, exclude: WebSocketConnection | None) -> None:
        self.deliver(group, frame, exclude)
