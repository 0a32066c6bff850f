import asyncio

from duck.contrib.websockets import WebSocketView
from duck.utils.asyncio import create_task  # Better than default asyncio.create_task


class NotificationSocket(WebSocketView):
    async def on_open(self):
        # Push notifications every 5 seconds
        create_task(self.push_notifications())

    async def push_notifications(self):
        count = 0
        while True:
            await asyncio.sleep(5)
            count += 1
            await self.send_text(f"🔔 Notification #{count}")
