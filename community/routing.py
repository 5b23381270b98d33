from django.urls import path

from community.events.consumers import RoomConsumer
from community.forum.consumers import ForumConsumer, ThreadConsumer

websocket_urlpatterns = [
    path("ws/forum/", ForumConsumer.as_asgi()),
    path("ws/forum/c/<slug:slug>/", ForumConsumer.as_asgi()),
    path("ws/forum/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/events/<slug:slug>/", RoomConsumer.as_asgi()),
]
