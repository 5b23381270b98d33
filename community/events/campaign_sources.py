"""The events' part in the lifecycle campaigns (plug-in ``campaign_sources``, declared in
membership/campaigns/lifecycle.py): the event follow-up. Members who answered "going" (or
waited on the waitlist) and never came into the live room get the recording and the
published recap.

An event qualifies once it has ended (within ``LOOKBACK``) and has something to send: its
recap is published, or it has a recording and the recap has had ``RECAP_GRACE`` to be
published (so a recording does not go out alone a day before its recap)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from community.events.models import EventAttendance, EventRsvp
from content.events import EventPage
from membership.campaigns.lifecycle import LifecycleEntry, Link, absolute_url
from membership.campaigns.models import Campaign
from membership.languages import in_member_language

LOOKBACK: Final = timedelta(days=14)
RECAP_GRACE: Final = timedelta(days=2)
MISSED_STATES: Final = (EventRsvp.State.GOING, EventRsvp.State.WAITLISTED)


def _links(event: EventPage, recap_url: str) -> list[Link]:
    # Built in the member's language: the titles are ours, not the editor's.
    links: list[Link] = []
    if event.recording_url:
        links.append({"title": _("Watch the recording"), "url": event.recording_url})
    if recap_url:
        links.append({"title": _("Read the recap"), "url": recap_url})
    return links


def event_follow_ups(now: datetime) -> Iterator[LifecycleEntry]:
    """Members who registered for a recently ended event and did not attend (occurrence
    ``event:<event id>``), with the event's title and its recording and recap."""
    events = (
        EventPage.objects.live()
        .filter(ends_at__lte=now, ends_at__gt=now - LOOKBACK)
        .order_by("ends_at", "pk")
    )
    for event in events:
        recap = event.recap()
        recap_url = (recap.get_full_url() or absolute_url(recap.url or "")) if recap is not None else ""
        if not recap_url and not (event.recording_url and event.ends_at <= now - RECAP_GRACE):
            continue
        missed = (
            EventRsvp.objects.filter(event=event, state__in=MISSED_STATES, member__is_active=True)
            .exclude(Exists(EventAttendance.objects.filter(event=event, member=OuterRef("member"))))
            .select_related("member")
            .order_by("pk")
        )
        for rsvp in missed.iterator(chunk_size=500):
            with in_member_language(rsvp.member):
                links = _links(event, recap_url)
            yield LifecycleEntry(
                member=rsvp.member,
                occurrence=f"event:{event.pk}",
                context={"event": event.title, "links": links},
            )


LIFECYCLE_SOURCES = {Campaign.Trigger.EVENT_FOLLOW_UP: event_follow_ups}
