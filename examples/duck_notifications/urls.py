"""Routes of the notifications example: the seed's NotificationSocket (views.py, as written in Duck's docs)."""

from duck.urls import path
from examples.duck_notifications.views import NotificationSocket

urlpatterns = [
    path("/ws/notifications", NotificationSocket, name="notifications"),
]
