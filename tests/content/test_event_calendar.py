"""Calendars (RFC 5545): one event's .ics and the feed at /events/feed.ics, read back with the
icalendar parser the way calendar apps read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from content.calendar import event_sequence
from tests.content import test_event_pages as pages
from tests.content.conftest import make_image
from tests.content.test_event_pages import NOW, make_event

# The event pages' fixtures: a frozen clock, the /events/ index, no community extensions.
frozen = pages.frozen
events_index = pages.events_index
_content_only_extensions = pages._content_only_extensions

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")


def ics(client, url: str) -> tuple[Calendar, str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    return Calendar.from_ical(response.content), text


def event_ics_url(event) -> str:
    return reverse("content:event_ics", kwargs={"slug": event.slug})


@pytest.fixture
def evening_qa(events_index, site_tree):
    # 18:00–19:30 in Helsinki on 27 November (UTC+2): 16:00–17:30 UTC.
    return make_event(
        events_index,
        "Ski wax Q&A; grip, glide",
        slug="ski-wax-qa",
        starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        minutes=90,
        hosts=[site_tree["author"]],
        hero_image=make_image("ics-hero"),
    )


def test_one_event_is_a_valid_published_calendar(client, evening_qa):
    response = client.get(event_ics_url(evening_qa))
    assert response["Content-Disposition"] == 'attachment; filename="ski-wax-qa.ics"'
    calendar, text = ics(client, event_ics_url(evening_qa))
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//Kanta//Kanta community events//EN"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Ski wax Q&A; grip, glide"

    (event,) = calendar.events
    assert event["UID"] == f"event-{evening_qa.pk}@testserver"
    assert event["SUMMARY"] == "Ski wax Q&A; grip, glide"
    assert "SUMMARY:Ski wax Q&A\\; grip\\, glide" in text  # escaped as RFC 5545 asks
    assert event["URL"] == "http://testserver/events/ski-wax-qa/"
    assert event["LOCATION"] == "http://testserver/events/ski-wax-qa/live/"  # the live room
    description = str(event["DESCRIPTION"])
    assert description.startswith("Ask our ski technicians anything")
    assert "Hosted by Otto Salminen." in description
    assert description.endswith("http://testserver/events/ski-wax-qa/")
    assert event["STATUS"] == "CONFIRMED"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Live Q&A"]


def test_times_carry_the_events_zone_and_the_right_instant(client, evening_qa):
    calendar, text = ics(client, event_ics_url(evening_qa))
    assert "DTSTART;TZID=Europe/Helsinki:20261127T180000\r\n" in text
    assert "DTEND;TZID=Europe/Helsinki:20261127T193000\r\n" in text
    (event,) = calendar.events
    assert event.start == datetime(2026, 11, 27, 18, 0, tzinfo=HELSINKI)
    assert event.start.astimezone(UTC) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert event.end.astimezone(UTC) == datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Helsinki"]
    assert calendar.get_missing_tzids() == set()
    # The VTIMEZONE itself says Helsinki is two hours ahead in November.
    offset = calendar.timezones[0].to_tz().utcoffset(datetime(2026, 11, 27, 18, 0))
    assert offset == timedelta(hours=2)
    assert "DTSTAMP:20261120T080000Z\r\n" in text  # UTC, from the page's publishing


def test_summer_event_in_another_zone_uses_its_own_offset(client, events_index):
    event = make_event(
        events_index,
        "Trail shoe launch",
        starts_at=datetime(2026, 7, 1, 22, 0, tzinfo=UTC),  # 18:00 in New York (EDT, UTC−4)
        time_zone="America/New_York",
        event_format="launch",
    )
    calendar, text = ics(client, event_ics_url(event))
    assert "DTSTART;TZID=America/New_York:20260701T180000\r\n" in text
    (component,) = calendar.events
    assert component.start.astimezone(UTC) == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    assert calendar.timezones[0].to_tz().utcoffset(datetime(2026, 7, 1, 18, 0)) == timedelta(hours=-4)


def test_uid_is_stable_across_requests_edits_and_slug_changes_while_sequence_grows(
    client, evening_qa, frozen
):
    first, _ = ics(client, event_ics_url(evening_qa))
    again, _ = ics(client, event_ics_url(evening_qa))
    assert first.events[0]["UID"] == again.events[0]["UID"]
    assert first.events[0]["SEQUENCE"] == 0

    frozen.shift(timedelta(hours=2))
    evening_qa.slug = "ski-wax-live"
    evening_qa.ends_at += timedelta(minutes=30)
    evening_qa.save_revision().publish()
    evening_qa.refresh_from_db()
    client.get("/")  # nothing cached keeps the old address
    assert client.get("/events/ski-wax-qa.ics").status_code == 404
    edited, text = ics(client, "/events/ski-wax-live.ics")
    (event,) = edited.events
    assert event["UID"] == first.events[0]["UID"]
    assert event["SEQUENCE"] == 7200 == event_sequence(evening_qa)
    assert event.end.astimezone(UTC) == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert "LAST-MODIFIED:20261120T100000Z\r\n" in text


def test_unknown_draft_and_private_events_are_not_found(client, events_index):
    draft = make_event(events_index, "Draft", starts_at=NOW + timedelta(days=1), live=False)
    assert client.get("/events/no-such-event.ics").status_code == 404
    assert client.get(event_ics_url(draft)).status_code == 404

    from wagtail.models import PageViewRestriction

    private = make_event(events_index, "Staff only", starts_at=NOW + timedelta(days=1))
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(event_ics_url(private)).status_code == 404


def test_calendars_only_answer_reads(client, evening_qa):
    assert client.post(event_ics_url(evening_qa)).status_code == 405
    assert client.post("/events/feed.ics").status_code == 405
    assert client.head("/events/feed.ics").status_code == 200


def test_feed_has_what_is_ahead_and_the_last_90_days_soonest_first(client, events_index):
    next_week = make_event(events_index, "Next week", starts_at=NOW + timedelta(days=7))
    tomorrow = make_event(events_index, "Tomorrow", starts_at=NOW + timedelta(days=1))
    recent = make_event(events_index, "Last month", starts_at=NOW - timedelta(days=30))
    make_event(events_index, "Last spring", starts_at=NOW - timedelta(days=91))
    make_event(events_index, "Not yet published", starts_at=NOW + timedelta(days=2), live=False)
    stockholm = make_event(
        events_index, "Stockholm webinar", starts_at=NOW + timedelta(days=3), time_zone="Europe/Stockholm"
    )

    response = client.get("/events/feed.ics")
    assert response["Content-Disposition"] == 'inline; filename="events.ics"'
    calendar, text = ics(client, "/events/feed.ics")
    assert calendar["X-WR-CALNAME"] == "Polku events"
    assert calendar["METHOD"] == "PUBLISH"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in text
    assert [str(event["SUMMARY"]) for event in calendar.events] == [
        "Last month",
        "Tomorrow",
        "Stockholm webinar",
        "Next week",
    ]
    uids = [str(event["UID"]) for event in calendar.events]
    assert uids == [f"event-{page.pk}@testserver" for page in (recent, tomorrow, stockholm, next_week)]
    assert len(set(uids)) == len(uids)
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Europe/Helsinki", "Europe/Stockholm"]
    assert calendar.get_missing_tzids() == set()
    # The VTIMEZONEs come before the events that use them.
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_empty_feed_is_still_a_valid_calendar(client, events_index):
    calendar, text = ics(client, "/events/feed.ics")
    assert calendar.events == []
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Helsinki"]
    assert "X-WR-TIMEZONE:Europe/Helsinki\r\n" in text


def test_feed_queries_do_not_grow_with_events(client, events_index, site_tree, django_assert_max_num_queries):
    for n in range(20):
        make_event(
            events_index, f"Event {n}", starts_at=NOW + timedelta(days=n + 1), hosts=[site_tree["author"]]
        )
    with django_assert_max_num_queries(8):
        calendar, _ = ics(client, "/events/feed.ics")
    assert len(calendar.events) == 20
