"""The event page's RSVP box (the registry is content/page_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from community.events.selectors import event_stats, rsvp_box
from content.page_extensions import PageExtension, register_page_extension


def event_rsvp_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    """The event page's RSVP box: answer, places, waitlist, why not (tier and how far), when
    it opens, the room's door, and for its runners the event's figures."""
    box = rsvp_box(event=page, user=request.user)
    return {
        "event": page,
        "box": box,
        "stats": event_stats(events=[page])[page.pk] if box.can_run else None,
        "rsvp_url": reverse("community:event_rsvp", kwargs={"slug": page.slug}),
        "live_url": reverse("community:event_live", kwargs={"slug": page.slug}),
        "attendance_minutes": settings.KANTA_EVENT_ATTENDANCE_MINUTES,
    }


register_page_extension(
    PageExtension(
        key="event-rsvp",
        template="community/events/_rsvp.html",
        context=event_rsvp_context,
        page_types=("content.EventPage",),
        order=10,
    )
)
