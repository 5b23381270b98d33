"""Builders for event tests: an event under the /events/ index, members of a tier, and a
room that is open now. Data goes through the real services."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.utils import timezone

from content.events import EventAccess, EventHost, EventIndexPage, EventPage
from content.models import Author, HomePage
from membership.models import Tier
from tests.content.conftest import make_home, publish


def event_index() -> EventIndexPage:
    existing = EventIndexPage.objects.first()
    if existing is not None:
        return existing
    home = HomePage.objects.first() or make_home()
    return publish(home, EventIndexPage(title="Events", slug="events", intro="Meet our experts."))


def make_event(
    title: str = "Waxing Q&A with Otto",
    *,
    starts_at: datetime | None = None,
    minutes: int = 60,
    access: str = EventAccess.TIER,
    tier: str | None = "vip",
    hosts: list | None = None,
    **fields,
) -> EventPage:
    """An event that is live now by default (started five minutes ago, an hour long)."""
    starts_at = starts_at or timezone.now() - timedelta(minutes=5)
    event = EventPage(
        title=title,
        slug=fields.pop("slug", None) or title.lower().replace(" ", "-").replace("&", "and"),
        intro="Ask our ski technician anything about grip wax, klister and skins.",
        body=json.dumps([{"type": "paragraph", "value": "<p>Bring your questions.</p>"}]),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        access=access,
        min_tier=Tier.objects.get(slug=tier) if access == EventAccess.TIER and tier else None,
        **fields,
    )
    event = publish(event_index(), event)
    for author in hosts or []:
        EventHost.objects.create(page=event, author=author)
    return EventPage.objects.get(pk=event.pk)


def make_host(member, name: str = "Otto Salminen") -> Author:
    return Author.objects.create(name=name, role="Ski technician", member=member)
