"""The forum's discussion below buying guides (content/page_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from community.forum.selectors import discussion_for
from content.page_extensions import PageExtension, register_page_extension


def guide_discussion_context(*, request: HttpRequest, page) -> dict[str, Any]:
    """Latest replies of the threads linked to the guide (that the reader may read) and the
    "Discuss" link: two queries."""
    return {
        **discussion_for(user=request.user, guide=page),
        "discuss_url": reverse("community:forum_discuss_guide", kwargs={"page_id": page.pk}),
    }


register_page_extension(
    PageExtension(
        key="forum",
        template="community/forum/_discussion.html",
        context=guide_discussion_context,
        page_types=("content.BuyingGuidePage",),
    )
)


def home_highlights_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    from community.forum.selectors import home_highlights

    threads = home_highlights(user=request.user)
    if not threads:
        return None
    return {"threads": threads, "forum_url": reverse("community:forum_index")}


register_page_extension(
    PageExtension(
        key="forum-home",
        template="community/forum/_home_highlights.html",
        context=home_highlights_context,
        page_types=("content.HomePage",),
    )
)


def event_rsvp_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    """The event page's RSVP box: answer, places, waitlist, why not (tier and how far), when
    it opens, the room's door, and for its runners the event's figures."""
    from community.events.selectors import event_stats, rsvp_box

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
