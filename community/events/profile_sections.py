"""The member's own events on their profile. The registry is membership/profile_registry.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from community.events.models import EventAttendance, EventRsvp
from content.events import EventIndexPage
from membership.profile_registry import ProfileSection, register_profile_section


def _context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    """What they are going to or waiting for, and how many events they attended. Only on
    their own profile (RSVPs are nobody else's business)."""
    if not is_self:
        return None
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
    ProfileSection(key="events", template="community/events/profile_events.html", context=_context, order=35)
)
