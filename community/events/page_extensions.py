"""The event page's RSVP box and the live room's door (the registry is
content/page_extensions.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from community.events.selectors import RsvpBox, event_stats, rsvp_box
from content.page_extensions import PageExtension, register_page_extension


def _box(*, request: HttpRequest, page):
    # One read for both sections of the same page view.
    box = getattr(page, "_rsvp_box", None)
    if box is None or getattr(page, "_rsvp_box_user", None) != request.user.pk:
        box = rsvp_box(event=page, user=request.user)
        page._rsvp_box, page._rsvp_box_user = box, request.user.pk
    return box


def _url_or_empty(name: str) -> str:
    # Ways to earn is the loyalty pages' address; the door must not fail without it.
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def event_door_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    """The live room's door in the event page's status box, while the room is open: the
    button for those who may go in; for the others, who may, how far they are (status points
    against the tier's threshold) and what they can do instead. None outside the live phase
    (the page's own text says when the room opens, or that it has ended)."""
    box = _box(request=request, page=page)
    if box.phase != "live":
        return None
    return room_door(request=request, page=page, box=box)


def room_door(*, request: HttpRequest, page, box: RsvpBox) -> dict[str, Any]:
    """The door's context (templates/community/events/_door.html), for the event page and
    for the room's own refusal page."""
    live_url = reverse("community:event_live", kwargs={"slug": page.slug})
    # Signed in, a member of a tier event may still be below it: back to the event page,
    # which then says so; any member may go straight into a members' room.
    back = live_url if page.access == "members" and not box.needs_rsvp else (page.url or live_url)
    may_enter = box.allowed and (
        not box.needs_rsvp or box.can_run or (box.rsvp and box.rsvp.state == "going")
    )
    return {
        "event": page,
        "box": box,
        "live_url": live_url,
        "may_enter": bool(may_enter),
        "earn_url": _url_or_empty("membership:ways_to_earn"),
        "login_url": f"{reverse('account_login')}?{urlencode({'next': back})}",
        "signup_url": f"{reverse('account_signup')}?{urlencode({'next': back})}",
    }


def event_rsvp_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    """The event page's RSVP box: answer, places, waitlist, why not (tier and how far), when
    it opens, the room's door, and for its runners the event's figures."""
    box = _box(request=request, page=page)
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

register_page_extension(
    PageExtension(
        key="event-door",
        template="community/events/_door.html",
        context=event_door_context,
        page_types=("content.EventPage",),
        order=5,
        slot="event-door",
    )
)
