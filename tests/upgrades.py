"""A stand-in :class:`duck.http.upgrade.Upgrade` for tests of the front doors on their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class StubUpgrade:
    """Carries whatever protocol factory or ASGI app a test gives it; records its release."""

    def __init__(
        self,
        make_protocol: Callable[[], Any] | None = None,
        run_asgi: Callable[[Any, Any, Any], Awaitable[None]] | None = None,
    ) -> None:
        self._make_protocol = make_protocol
        self._run_asgi = run_asgi
        self.released = False

    def make_protocol(self) -> Any:
        assert self._make_protocol is not None, "this test's upgrade has no protocol for duck's server"
        return self._make_protocol()

    async def run_asgi(self, scope: Any, receive: Any, send: Any) -> None:
        assert self._run_asgi is not None, "this test's upgrade has no ASGI app"
        await self._run_asgi(scope, receive, send)

    def release(self) -> None:
        self.released = True
