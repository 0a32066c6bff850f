"""examples/duck_notifications: a notification pushed every 5 seconds by a task made with create_task.

The example keeps the docs' 5-second interval, so each server waits for one real notification.
"""

from __future__ import annotations

import pytest

from tests.examples.conftest import SERVERS, recv, serve_example

pytestmark = [pytest.mark.interop, pytest.mark.slow]

# The docs' interval is 5 s; the first notification must come well within this.
FIRST_NOTIFICATION_TIMEOUT = 15.0


@pytest.fixture(scope="module", params=SERVERS)
def served(request):
    yield from serve_example("duck_notifications", request.param)


async def test_notifications_are_pushed_without_the_client_asking(served):
    async with served.connect("/ws/notifications") as ws:
        assert await recv(ws, FIRST_NOTIFICATION_TIMEOUT) == "🔔 Notification #1"
    # Leaving cancels the push task with the connection: the server logs no error (checked at teardown).
