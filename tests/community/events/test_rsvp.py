"""RSVP, the waitlist with tier priority, RSVP opening per tier, reminders sent exactly once,
the "it's live" push, attendance points and the Front Row badge, and the recap draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from community.events.services import rsvps as event_services
from community.events.services.live import question_ask, question_moderate
from community.models import EventAttendance, EventQuestion, EventRsvp, LiveRoom
from content.events import EventAccess, EventRecapPage
from membership.models import BadgeAward, Notification, PointEntry, Tier
from tests.community.event_factories import make_event, make_host
from tests.community.forum_factories import forum_member
from tests.conftest import run_in_threads

pytestmark = pytest.mark.django_db

Going, Waitlisted, NotGoing = EventRsvp.State.GOING, EventRsvp.State.WAITLISTED, EventRsvp.State.NOT_GOING


def upcoming(**fields):
    fields.setdefault("starts_at", timezone.now() + timedelta(days=3))
    return make_event(**fields)


def test_members_below_the_tier_are_refused_and_told_how_far_they_are():
    event = upcoming(tier="gold")
    silver = forum_member("liisa", tier="silver")
    with pytest.raises(PermissionDenied, match=r"for Gold members and up\. You are \d+ points away"):
        event_services.rsvp_set(member=silver, event=event, going=True)
    assert not EventRsvp.objects.exists()
    gold = forum_member("eero", tier="gold")
    assert event_services.rsvp_set(member=gold, event=event, going=True).state == Going


def test_members_only_events_take_any_member_and_public_ones_too():
    member = forum_member("mikko")
    assert (
        event_services.rsvp_set(member=member, event=upcoming(access=EventAccess.MEMBERS), going=True).state
        == Going
    )
    public = upcoming(title="Open webinar", access=EventAccess.PUBLIC, tier=None)
    assert event_services.rsvp_set(member=member, event=public, going=True).state == Going


def test_a_full_event_waitlists_and_a_cancellation_promotes_the_highest_tier_first():
    event = upcoming(access=EventAccess.MEMBERS, capacity=2)
    silver, gold = forum_member("liisa", tier="silver"), forum_member("eero", tier="gold")
    member, vip = forum_member("mikko"), forum_member("aino", tier="vip")
    assert event_services.rsvp_set(member=silver, event=event, going=True).state == Going
    assert event_services.rsvp_set(member=gold, event=event, going=True).state == Going
    # mikko asks first, aino (VIP) after him: aino is first in line all the same.
    assert event_services.rsvp_set(member=member, event=event, going=True).state == Waitlisted
    assert event_services.rsvp_set(member=vip, event=event, going=True).state == Waitlisted

    result = event_services.rsvp_set(member=gold, event=event, going=False)

    assert [r.member for r in result.promoted] == [vip]
    states = dict(EventRsvp.objects.values_list("member__username", "state"))
    assert states == {"liisa": Going, "eero": NotGoing, "aino": Going, "mikko": Waitlisted}
    note = Notification.objects.get(recipient=vip, kind=event_services.KIND_PROMOTED)
    assert event.title in note.title
    # Then mikko, when the next place frees up; asking again changes nothing meanwhile.
    assert event_services.rsvp_set(member=member, event=event, going=True).state == Waitlisted
    event_services.rsvp_set(member=silver, event=event, going=False)
    assert EventRsvp.objects.get(member=member).state == Going


def test_within_a_tier_the_waitlist_keeps_the_order_people_asked_in():
    event = upcoming(access=EventAccess.MEMBERS, capacity=1)
    first = forum_member("first")
    event_services.rsvp_set(member=first, event=event, going=True)
    waiting = [forum_member(f"m{n}") for n in range(3)]
    now = timezone.now()
    for offset, member in enumerate(waiting):
        event_services.rsvp_set(member=member, event=event, going=True, now=now + timedelta(seconds=offset))
    event_services.rsvp_set(member=first, event=event, going=False)
    assert EventRsvp.objects.get(state=Going).member == waiting[0]


def test_raising_the_capacity_promotes_by_the_worker():
    event = upcoming(access=EventAccess.MEMBERS, capacity=1)
    a, b = forum_member("a1"), forum_member("b1")
    event_services.rsvp_set(member=a, event=event, going=True)
    event_services.rsvp_set(member=b, event=event, going=True)
    event.capacity = 2
    event.save_revision().publish()
    assert event_services.waitlists_promote_due() == 1
    assert EventRsvp.objects.get(member=b).state == Going


def test_rsvp_opens_earlier_for_a_tier():
    opens = timezone.now() + timedelta(days=2)
    event = upcoming(access=EventAccess.MEMBERS, rsvp_opens_at=opens)
    event.rsvp_openings.create(
        tier=Tier.objects.get(slug="vip"), opens_at=timezone.now() - timedelta(hours=1)
    )
    vip, gold = forum_member("aino", tier="vip"), forum_member("eero", tier="gold")
    assert event_services.rsvp_set(member=vip, event=event, going=True).state == Going
    with pytest.raises(PermissionDenied, match="RSVP opens for you on"):
        event_services.rsvp_set(member=gold, event=event, going=True)
    with time_machine.travel(opens + timedelta(minutes=1)):
        assert event_services.rsvp_set(member=gold, event=event, going=True).state == Going


def test_past_events_take_no_rsvp_and_anonymous_visitors_none():
    event = make_event(starts_at=timezone.now() - timedelta(days=2), access=EventAccess.MEMBERS)
    with pytest.raises(PermissionDenied, match="over"):
        event_services.rsvp_set(member=forum_member("mikko"), event=event, going=True)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_rsvps_never_overfill(migrated_rows):
    event = upcoming(access=EventAccess.MEMBERS, capacity=3)
    members = [forum_member(f"racer{n}") for n in range(8)]

    results, errors = run_in_threads(
        len(members), lambda n: event_services.rsvp_set(member=members[n], event=event, going=True).state
    )

    assert errors == []
    assert sorted(results).count(Going) == 3 and sorted(results).count(Waitlisted) == 5
    assert EventRsvp.objects.filter(state=Going).count() == 3


# --- reminders ------------------------------------------------------------------------------


def test_reminders_go_24_hours_and_15_minutes_before_each_once(django_capture_on_commit_callbacks):
    starts = timezone.now() + timedelta(days=3)
    event = upcoming(access=EventAccess.MEMBERS, starts_at=starts)
    member, late = forum_member("aino"), forum_member("eero")
    event_services.rsvp_set(member=member, event=event, going=True)

    with time_machine.travel(starts - timedelta(hours=30)):
        assert event_services.event_reminders_send() == 0
    with time_machine.travel(starts - timedelta(hours=23)), django_capture_on_commit_callbacks(execute=True):
        assert event_services.event_reminders_send() == 1
        assert event_services.event_reminders_send() == 0
        # Someone who answers after the day-before moment gets no late day-before reminder.
        event_services.rsvp_set(member=late, event=event, going=True)
        assert event_services.event_reminders_send() == 0
    with (
        time_machine.travel(starts - timedelta(minutes=14)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert event_services.event_reminders_send() == 2
        assert event_services.event_reminders_send() == 0
    with time_machine.travel(starts - timedelta(minutes=5)):
        assert event_services.event_reminders_send() == 0

    kinds = list(
        Notification.objects.filter(kind=event_services.KIND_REMINDER).values_list(
            "recipient__username", "title"
        )
    )
    assert sorted(name for name, _title in kinds) == ["aino", "aino", "eero"]
    assert any("tomorrow" in title for _name, title in kinds)
    assert any("15 minutes" in title for _name, title in kinds)
    assert len(mail.outbox) == 3
    assert "/events/" in mail.outbox[0].body and ".ics" in mail.outbox[0].body


def test_members_who_are_not_going_get_no_reminders():
    starts = timezone.now() + timedelta(days=3)
    event = upcoming(access=EventAccess.MEMBERS, starts_at=starts)
    member = forum_member("aino")
    event_services.rsvp_set(member=member, event=event, going=True)
    event_services.rsvp_set(member=member, event=event, going=False)
    with time_machine.travel(starts - timedelta(hours=23)):
        assert event_services.event_reminders_send() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_reminder_once(migrated_rows):
    starts = timezone.now() + timedelta(days=3)
    event = upcoming(access=EventAccess.MEMBERS, starts_at=starts)
    for n in range(5):
        event_services.rsvp_set(member=forum_member(f"w{n}"), event=event, going=True)
    with time_machine.travel(starts - timedelta(hours=23), tick=True):
        results, errors = run_in_threads(2, lambda _n: event_services.event_reminders_send())
    assert errors == []
    assert sum(results) == 5
    assert Notification.objects.filter(kind=event_services.KIND_REMINDER).count() == 5


def test_its_live_goes_to_those_going_once_when_the_room_opens():
    starts = timezone.now() + timedelta(hours=2)
    event = upcoming(access=EventAccess.MEMBERS, starts_at=starts)
    member = forum_member("aino")
    event_services.rsvp_set(member=member, event=event, going=True)
    assert event_services.event_live_announce() == 0
    with time_machine.travel(event.room_opens_at + timedelta(seconds=5)):
        assert event_services.event_live_announce() == 1
        assert event_services.event_live_announce() == 0
    note = Notification.objects.get(kind=event_services.KIND_LIVE)
    assert note.url == event.live_url
    assert LiveRoom.objects.get(pk=event.pk).live_announced_at is not None


# --- attendance ------------------------------------------------------------------------------


def test_ten_minutes_in_the_room_earn_attendance_points_once_and_front_row():
    event = make_event(access=EventAccess.MEMBERS)
    member = forum_member("aino")
    start = timezone.now()
    for minute in range(12):
        with time_machine.travel(start + timedelta(minutes=minute)):
            event_services.attendance_tick(event=event, member_ids=[member.pk], seconds=60)
            # A second tab or process ticking in the same minute adds nothing.
            event_services.attendance_tick(event=event, member_ids=[member.pk], seconds=60)

    attendance = EventAttendance.objects.get(member=member, event=event)
    assert attendance.seconds == 11 * 60
    assert attendance.qualified_at is not None
    entries = PointEntry.objects.filter(member=member, rule__key="event-attendance")
    assert entries.count() == 1
    assert BadgeAward.objects.filter(member=member, badge="front-row", level=1).exists()


def test_nine_minutes_earn_nothing_and_time_outside_the_open_room_does_not_count():
    event = make_event(access=EventAccess.MEMBERS, starts_at=timezone.now() - timedelta(minutes=5), minutes=8)
    member = forum_member("aino")
    start = timezone.now()
    for minute in range(12):
        with time_machine.travel(start + timedelta(minutes=minute)):
            event_services.attendance_tick(event=event, member_ids=[member.pk], seconds=60)
    attendance = EventAttendance.objects.get(member=member)
    assert attendance.seconds < 10 * 60 and attendance.qualified_at is None
    assert not PointEntry.objects.filter(member=member, rule__key="event-attendance").exists()


# --- the recap -------------------------------------------------------------------------------


def test_the_recap_draft_is_created_once_with_the_answered_questions():
    moderator = forum_member("moderator")
    host = make_host(moderator)
    event = make_event(access=EventAccess.MEMBERS, hosts=[host])
    aino, eero = forum_member("aino"), forum_member("eero")
    first = question_ask(member=aino, event=event, body="How often do I wax classic skis?")
    second = question_ask(member=eero, event=event, body="Skins or wax for a beginner?", anonymous=True)
    question_ask(member=eero, event=event, body="Is klister worth it?")
    question_moderate(moderator=moderator, question=second, action="answered")
    question_moderate(moderator=moderator, question=first, action="answered")

    assert event_services.event_recaps_create_due() == 0  # not over yet
    with time_machine.travel(event.ends_at + timedelta(minutes=1)):
        assert event_services.event_recaps_create_due() == 1
        assert event_services.event_recaps_create_due() == 0

    recap = EventRecapPage.objects.child_of(event).get()
    assert not recap.live and recap.has_unpublished_changes
    blocks = [block.value for block in recap.body]
    assert [b["question"] for b in blocks] == [second.body, first.body]
    assert blocks[0]["asker"] == "" and blocks[1]["asker"] == aino.name
    assert EventQuestion.objects.filter(state=EventQuestion.State.OPEN).count() == 1
    note = Notification.objects.get(recipient=moderator, kind=event_services.KIND_RECAP)
    assert f"/admin/pages/{recap.pk}/edit/" in note.url


def test_the_members_own_profile_lists_their_events_ahead(client):
    event = upcoming(access=EventAccess.MEMBERS, capacity=1)
    aino, eero = forum_member("aino"), forum_member("eero")
    event_services.rsvp_set(member=aino, event=event, going=True)
    event_services.rsvp_set(member=eero, event=event, going=True)

    client.force_login(eero)
    own = client.get("/members/eero/").content.decode()
    assert "Your events" in own and event.url in own and "on the waitlist" in own
    # Nobody else sees whom a member RSVPed to.
    assert "Your events" not in client.get("/members/aino/").content.decode()
