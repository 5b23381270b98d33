from django.urls import path

from .consumers import ForumConsumer, ThreadConsumer
from .live_consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/forum/", ForumConsumer.as_asgi()),
    path("ws/forum/c/<slug:slug>/", ForumConsumer.as_asgi()),
    path("ws/forum/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/events/<slug:slug>/", RoomConsumer.as_asgi()),
]
