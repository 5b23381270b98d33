"""Events as iCalendar (RFC 5545): one event's ``.ics`` and the feed readers subscribe to.

Each event is written in its own zone (``DTSTART;TZID=Europe/Helsinki:…``) with the matching
VTIMEZONE, so every calendar shows the right moment wherever its reader is. The UID comes from
the page id and never changes, so an edited event replaces the entry in a subscribed calendar
instead of appearing twice; SEQUENCE and LAST-MODIFIED follow the page's publishing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone
from wagtail.models import Site

from .events import EventPage

PRODID = "-//Kanta//Kanta community events//EN"
# How often subscribed calendars should look for changes (RFC 7986, and Outlook's older name).
REFRESH_INTERVAL = timedelta(hours=6)
CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_host(request: HttpRequest) -> str:
    """The host in every UID: the site's configured hostname, so UIDs do not change with the
    address a reader happened to use."""
    site = Site.find_for_request(request)
    return (site.hostname if site else "") or request.get_host().split(":")[0]


def event_uid(event: EventPage, *, host: str) -> str:
    return f"event-{event.pk}@{host}"


def event_sequence(event: EventPage) -> int:
    """Grows with every publish (seconds from the first to the latest), as RFC 5545 asks of a
    revision number, with no query for the revision count."""
    first, last = event.first_published_at, event.last_published_at
    if not first or not last:
        return 0
    return max(0, int((last - first).total_seconds()))


def live_room_url(event: EventPage, request: HttpRequest) -> str:
    """The live room's address, where the event happens; the event page until an app
    provides the room (content/navigation.py)."""
    path = event.live_url
    return request.build_absolute_uri(path) if path else event.get_full_url(request)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def event_component(event: EventPage, *, request: HttpRequest, host: str, now: datetime) -> Event:
    url = event.get_full_url(request)
    hosts = [link.author.name for link in event.hosts.all()]
    description = [event.intro]
    if hosts:
        description.append(_("Hosted by %(names)s.") % {"names": ", ".join(hosts)})
    description.append(url)
    published = event.last_published_at or now

    component = Event()
    component.add("uid", event_uid(event, host=host))
    component.add("dtstamp", _utc(published))
    component.add("dtstart", event.local_starts_at)
    component.add("dtend", event.local_ends_at)
    component.add("summary", event.title)
    component.add("description", "\n\n".join(description))
    component.add("url", url)
    component.add("location", live_room_url(event, request))
    component.add("categories", [str(event.get_event_format_display())])
    component.add("status", "CONFIRMED")
    component.add("transp", "OPAQUE")
    component.add("class", "PUBLIC")
    component.add("sequence", event_sequence(event))
    component.add("last-modified", _utc(published))
    return component


def events_calendar_build(
    *, events: Iterable[EventPage], request: HttpRequest, name: str, description: str = ""
) -> Calendar:
    """A published calendar of ``events`` with a VTIMEZONE for every zone they use."""
    now = timezone.now()
    host = calendar_host(request)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")

    events = list(events)
    for event in events:
        calendar.add_component(event_component(event, request=request, host=host, now=now))
    if events:
        # Whole years around the events: each VTIMEZONE carries the rules the events need.
        first = date(min(event.local_starts_at.year for event in events), 1, 1)
        last = date(max(event.local_ends_at.year for event in events) + 1, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    else:
        # A calendar needs one component; the site's zone keeps an empty feed valid.
        calendar.add_component(
            Timezone.from_tzid(
                settings.TIME_ZONE, first_date=date(now.year, 1, 1), last_date=date(now.year + 1, 1, 1)
            )
        )
    return calendar


def calendar_response(calendar: Calendar, *, filename: str, download: bool) -> HttpResponse:
    """``download``: one event, which browsers offer to add; a feed is shown inline so that
    calendar apps subscribing to it read it as it is."""
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
