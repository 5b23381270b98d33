"""Content's addresses outside the page tree (namespace ``content``)."""

from django.conf import settings
from django.urls import path

from . import media_views, views

app_name = "content"

urlpatterns = [
    path("products/<slug:slug>/", views.product_detail, name="product"),
    path("search/", views.search_view, name="search"),
    # Calendars; the feed first, so that no event slug shadows it.
    path("events/feed.ics", views.events_calendar, name="events_calendar"),
    path("events/<slug:slug>.ics", views.event_ics, name="event_ics"),
    # Forum attachments and review photos, each after its owner's access check.
    path(
        f"{settings.KANTA_PROTECTED_MEDIA_URL.strip('/')}/<path:path>",
        media_views.protected_media,
        name="protected_media",
    ),
]
