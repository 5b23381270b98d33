"""Membership's WebSocket route: ``/ws/me/``, the member's own notifications."""

from django.urls import path

from .consumers import MeConsumer

websocket_urlpatterns = [
    # An ASGI app, not a view: channels' URLRouter reads Django's path(), django-stubs does not know.
    path("ws/me/", MeConsumer.as_asgi()),  # type: ignore[arg-type]
]
