"""The member's reviews on their profile: all of them for the member, published ones for others."""

from __future__ import annotations

from typing import Any

from community.models import Review
from community.reviews.selectors import reviews_for_profile
from membership.profile_registry import ProfileSection, register_profile_section


def _context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    reviews = reviews_for_profile(member=member, is_self=is_self)
    if not reviews and not is_self:
        return None
    return {"reviews": reviews, "is_self": is_self, "member": member, "States": Review.State}


register_profile_section(
    ProfileSection(
        key="reviews", template="community/reviews/profile_reviews.html", context=_context, order=40
    )
)


# --- forum --------------------------------------------------------------------------------
def _forum_context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    from community.forum.access import readable_categories
    from community.models import Post

    # Only what the viewer may read: a Gold-only thread stays off the profile for others.
    posts = list(
        Post.objects.filter(
            author=member,
            state=Post.State.VISIBLE,
            thread__state=Post.State.VISIBLE,
            thread__category__in=readable_categories(viewer),
        )
        .select_related("thread__category")
        .order_by("-created_at")[:8]
    )
    if not posts and not is_self:
        return None
    return {"posts": posts, "is_self": is_self, "member": member}


register_profile_section(
    ProfileSection(
        key="forum", template="community/forum/profile_forum.html", context=_forum_context, order=45
    )
)


# --- live events --------------------------------------------------------------------------
def _events_context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    """The member's own events: what they are going to or waiting for, and how many they
    attended. Only on their own profile (RSVPs are nobody else's business)."""
    if not is_self:
        return None
    from django.utils import timezone

    from community.models import EventAttendance, EventRsvp

    rsvps = list(
        EventRsvp.objects.filter(
            member=member,
            state__in=[EventRsvp.State.GOING, EventRsvp.State.WAITLISTED],
            event__ends_at__gt=timezone.now(),
            event__live=True,
        )
        .select_related("event")
        .order_by("event__starts_at")[:10]
    )
    from content.events import EventIndexPage

    attended = EventAttendance.objects.filter(member=member, qualified_at__isnull=False).count()
    index = EventIndexPage.objects.live().first()
    if index is None and not rsvps:
        return None  # no events on this site yet
    return {
        "rsvps": rsvps,
        "attended": attended,
        "States": EventRsvp.State,
        "events_url": index.url if index else "",
    }


register_profile_section(
    ProfileSection(
        key="events", template="community/events/profile_events.html", context=_events_context, order=35
    )
)
