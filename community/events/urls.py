"""The community's addresses under an event page (/events/<slug>/…, namespace ``community``).

Wagtail serves /events/<slug>/ itself; only these sub-paths are the community's, and every
other address falls through to the page tree."""

from django.urls import path

from community.events import views

urlpatterns = [
    path("rsvp/", views.event_rsvp, name="event_rsvp"),
    path("live/", views.event_live, name="event_live"),
    path("live/ask/", views.room_ask, name="event_room_ask"),
    path("live/chat/", views.room_chat, name="event_room_chat"),
    path("live/chat/<int:pk>/delete/", views.room_chat_delete, name="event_room_chat_delete"),
    path("live/mute/", views.room_mute, name="event_room_mute"),
    path("live/questions/<int:pk>/vote/", views.room_vote, name="event_room_vote"),
    path(
        "live/questions/<int:pk>/<str:action>/",
        views.room_moderate,
        name="event_room_moderate",
    ),
]
