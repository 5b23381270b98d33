"""The community's WebSocket routes: the forum's index and category pages, its threads, and the
events' live rooms. hub/routing.py collects them with every other app's ``routing.py``."""

from channels.consumer import AsyncConsumer
from django.urls import URLPattern, path

from community.events.consumers import RoomConsumer
from community.forum.consumers import ForumConsumer, ThreadConsumer


def _socket(route: str, consumer: type[AsyncConsumer]) -> URLPattern:
    # An ASGI app, not a view: channels' URLRouter reads Django's path(), django-stubs does not know.
    return path(route, consumer.as_asgi())  # type: ignore[arg-type]


websocket_urlpatterns = [
    _socket("ws/forum/", ForumConsumer),
    _socket("ws/forum/c/<slug:slug>/", ForumConsumer),
    _socket("ws/forum/threads/<int:thread_id>/", ThreadConsumer),
    _socket("ws/events/<slug:slug>/", RoomConsumer),
]
