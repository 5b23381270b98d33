"""The demo's live events (issue 6): the /events/ calendar, a past clinic with its published
recap, an upcoming VIP Q&A that is full with a waitlist, a public webinar and a VIP Q&A that
is live whenever the demo starts; seeding twice adds nothing; refresh keeps the live one live;
check_demo's events checks pass and notice a missing piece.

A small world of its own (the demo people, the hosts, the products and guides the events
name), not the whole demo data set.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from wagtail.models import Revision

from community.demo import checks as demo_checks
from community.demo import events as demo_events
from community.events.services.rsvps import rsvp_set
from community.models import (
    EventAttendance,
    EventChatMessage,
    EventQuestion,
    EventQuestionVote,
    EventRsvp,
    LiveRoom,
    RoomActivity,
)
from content.events import EventAccess, EventIndexPage, EventPage, EventPhase, EventRecapPage
from content.models import Author
from content.navigation import navigation_clear, navigation_items
from hub.demo import DemoContext
from membership.models import BadgeAward, PointEntry, User
from membership.selectors import member_standing
from tests.community.forum_factories import forum_member
from tests.content.conftest import make_product

pytestmark = pytest.mark.django_db

# username: tier, as membership's demo leaves them
PEOPLE = {"aino": "vip", "eero": "gold", "liisa": "silver", "juha": "silver", "mikko": None, "olli": None}
STAFF = {
    "editor": ("Otto Salminen", ["Editors"]),
    "editor2": ("Helmi Rantanen", ["Editors", "Moderators"]),
    "moderator": ("Ville Koskinen", ["Moderators"]),
}


@pytest.fixture
def world(make_guide, site_tree):
    # site_tree made Otto Salminen; content's demo makes the other hosts.
    Author.objects.create(name="Helmi Rantanen", role="Ski technician")
    Author.objects.create(name="Jussi Aalto", role="Trail running coach")
    User.objects.create_superuser("admin", "admin@example.com", "x")
    for username, (name, groups) in STAFF.items():
        forum_member(username, display_name=name, groups=groups)
    for username, tier in PEOPLE.items():
        forum_member(username, tier=tier)
    for slug in {slug for spec in demo_events.EVENTS for slug in spec.products}:
        make_product(slug=slug, name=slug.replace("-", " ").title())
    for slug in {slug for spec in demo_events.EVENTS for slug in spec.guides}:
        make_guide(slug.replace("-", " ").capitalize(), slug=slug, products=[])


def seed() -> None:
    demo_events.seed_events(DemoContext(log=lambda message: None))


def refresh() -> None:
    demo_events.refresh_events(DemoContext(log=lambda message: None))


def event(spec: demo_events.DemoEvent) -> EventPage:
    return EventPage.objects.select_related("min_tier").get(slug=spec.slug)


def test_demo_events_tell_the_whole_story(world):
    seed()
    now = timezone.now()

    index = EventIndexPage.objects.get()
    assert index.live and index.url == "/events/"
    navigation_clear()
    assert {"key": "events", "label": "Events", "url": "/events/"} in navigation_items()
    assert EventPage.objects.child_of(index).live().count() == len(demo_events.EVENTS)

    # The past clinic: hosted by Helmi (her account runs the room), its room full of answered
    # questions, and the recap published with every answer written in.
    clinic = event(demo_events.WAX_CLINIC)
    assert clinic.phase(now) == EventPhase.PAST
    assert [h.author.member.username for h in clinic.hosts.select_related("author__member")] == ["editor2"]
    answered = EventQuestion.objects.filter(event=clinic, state=EventQuestion.State.ANSWERED)
    assert answered.count() == 5
    assert EventQuestion.objects.filter(event=clinic, state=EventQuestion.State.OPEN).count() == 1
    assert answered.filter(is_anonymous=True).count() == 1
    recap = EventRecapPage.objects.child_of(clinic).get()
    assert recap.live and clinic.recap() == recap and recap.intro
    blocks = [block.value for block in recap.body if block.block_type == "answered_question"]
    assert [b["question"] for b in blocks] == list(
        answered.order_by("answered_at").values_list("body", flat=True)
    )
    assert all(str(b["answer"]).startswith("<p>") for b in blocks)
    assert [b["asker"] for b in blocks].count("") == 1  # the anonymous one is not credited
    assert blocks[0]["votes"] == answered.order_by("answered_at").first().vote_count > 0
    assert LiveRoom.objects.get(pk=clinic.pk).recap_created_at is not None

    # Attendance by the minute: ten minutes earn the points and the Front Row badge, once.
    stays = demo_events.WAX_CLINIC.attendance
    present = {
        u: m for u, (_f, m) in stays.items() if u in PEOPLE or u in {v.username for v in demo_events.VIPS}
    }
    rows = {
        a.member.username: a for a in EventAttendance.objects.filter(event=clinic).select_related("member")
    }
    assert {u: row.seconds for u, row in rows.items()} == {u: m * 60 for u, m in present.items()}
    qualified = {u for u, m in present.items() if m >= 10}
    assert {u for u, row in rows.items() if row.qualified_at} == qualified
    points = PointEntry.objects.filter(rule__key="event-attendance")
    assert set(points.values_list("member__username", flat=True)) == qualified
    assert all(entry.created_at < clinic.ends_at for entry in points)
    assert (
        set(BadgeAward.objects.filter(badge="front-row").values_list("member__username", flat=True))
        == qualified
    )

    # The upcoming VIP Q&A: three places taken by VIPs, two VIPs waiting in line; VIPs could
    # RSVP 48 hours before the page's opening.
    cycling = event(demo_events.WINTER_CYCLING_QA)
    assert cycling.phase(now) == EventPhase.UPCOMING and cycling.starts_at > now + timedelta(days=8)
    assert cycling.access == EventAccess.TIER and cycling.min_tier.slug == "vip" and cycling.capacity == 3
    rsvps = list(EventRsvp.objects.filter(event=cycling).order_by("requested_at").select_related("member"))
    assert [(r.member.username, r.state) for r in rsvps] == [
        ("aino", "going"),
        ("kalle", "going"),
        ("riikka", "going"),
        ("antti", "waitlisted"),
        ("satu", "waitlisted"),
    ]
    assert all(member_standing(member=r.member).tier.slug == "vip" for r in rsvps)
    assert all(r.requested_at < now for r in rsvps)
    (opening,) = cycling.rsvp_openings.select_related("tier")
    assert opening.tier.slug == "vip" and cycling.rsvp_opens_at - opening.opens_at == timedelta(hours=48)
    assert cycling.rsvp_opens_at < now
    assert cycling.products.count() == 3 and cycling.related_guides.count() == 2
    assert cycling.hosts.get().author.member.username == "editor"

    # The public webinar. No demo event embeds a player: the demo runs offline, and a made-up
    # video address would be a broken player on the page.
    webinar = event(demo_events.ICE_WEBINAR)
    assert webinar.phase(now) == EventPhase.UPCOMING and webinar.access == EventAccess.PUBLIC
    assert webinar.stream is None and webinar.capacity is None
    assert EventRsvp.objects.filter(event=webinar, state="going").count() == 4

    # The VIP Q&A live now: questions with votes, one highlighted, an anonymous one, chat; the
    # moderator's own author is one of its hosts.
    live = event(demo_events.LIVE_QA)
    assert live.phase(now) == EventPhase.LIVE and live.starts_at < now < live.ends_at - timedelta(hours=1)
    assert live.access == EventAccess.TIER and live.min_tier.slug == "vip" and not live.premoderated
    hosts = set(live.hosts.values_list("author__member__username", flat=True))
    assert hosts == {"editor2", "moderator"}
    questions = EventQuestion.objects.filter(event=live)
    open_ = questions.filter(state=EventQuestion.State.OPEN)
    assert open_.count() == 5 and open_.filter(vote_count__gt=0).count() == 4
    assert open_.filter(is_anonymous=True).exists() and questions.filter(state="answered").count() == 1
    highlighted = LiveRoom.objects.get(pk=live.pk).highlighted
    assert highlighted.state == EventQuestion.State.OPEN and highlighted.vote_count == 3
    for question in questions:
        assert question.vote_count == EventQuestionVote.objects.filter(question=question).count()
        assert live.room_opens_at <= question.created_at <= now
    assert not EventQuestionVote.objects.filter(question__event=live, member__username="aino").exists()
    assert EventChatMessage.objects.filter(event=live).count() >= 2
    assert all(m.created_at <= now for m in EventChatMessage.objects.filter(event=live))
    assert RoomActivity.objects.filter(event=live).count() >= questions.count()


def test_seeding_again_adds_nothing(world):
    seed()
    refresh()

    def counts():
        return (
            EventPage.objects.count(),
            EventRecapPage.objects.count(),
            Revision.objects.count(),
            EventRsvp.objects.count(),
            EventQuestion.objects.count(),
            EventQuestionVote.objects.count(),
            EventChatMessage.objects.count(),
            EventAttendance.objects.count(),
            RoomActivity.objects.count(),
            PointEntry.objects.count(),
            User.objects.count(),
            Author.objects.count(),
        )

    before = counts()
    seed()
    refresh()
    assert counts() == before


def test_refresh_keeps_the_live_qa_live(world):
    seed()
    live = event(demo_events.LIVE_QA)
    # As if the demo had been seeded yesterday: the event and its room a day in the past.
    day = timedelta(days=1)
    EventPage.objects.filter(pk=live.pk).update(starts_at=F("starts_at") - day, ends_at=F("ends_at") - day)
    questions = EventQuestion.objects.filter(event=live)
    questions.update(created_at=F("created_at") - day)
    questions.filter(answered_at__isnull=False).update(answered_at=F("answered_at") - day)
    EventChatMessage.objects.filter(event=live).update(created_at=F("created_at") - day)
    order = list(questions.order_by("created_at").values_list("pk", flat=True))
    assert event(demo_events.LIVE_QA).phase() == EventPhase.PAST

    refresh()
    now = timezone.now()
    live = event(demo_events.LIVE_QA)
    assert live.phase(now) == EventPhase.LIVE and live.ends_at - now > timedelta(hours=1)
    assert live.get_latest_revision() == live.live_revision and not live.has_unpublished_changes
    assert live.live_revision.as_object().starts_at == live.starts_at
    assert list(questions.order_by("created_at").values_list("pk", flat=True)) == order
    for question in questions:
        assert live.room_opens_at <= question.created_at <= now
    assert all(live.room_opens_at <= m.created_at <= now for m in EventChatMessage.objects.filter(event=live))

    revisions = Revision.objects.count()
    refresh()
    assert Revision.objects.count() == revisions


def test_refresh_keeps_upcoming_events_ahead(world):
    seed()
    webinar = event(demo_events.ICE_WEBINAR)
    EventPage.objects.filter(pk=webinar.pk).update(
        starts_at=F("starts_at") - timedelta(days=4), ends_at=F("ends_at") - timedelta(days=4)
    )
    refresh()
    webinar = event(demo_events.ICE_WEBINAR)
    assert webinar.phase() == EventPhase.UPCOMING
    assert timezone.localtime(webinar.starts_at).date() == timezone.localdate() + timedelta(days=4)
    assert EventRsvp.objects.filter(event=webinar, state="going").count() == 4


def test_without_the_vips_and_hosts_it_still_seeds(site_tree):
    # A half-built world: no admin (so no extra VIPs), no staff accounts, no products or guides.
    forum_member("aino", tier="vip")
    forum_member("eero", tier="gold")
    seed()
    assert EventPage.objects.count() == len(demo_events.EVENTS)
    cycling = event(demo_events.WINTER_CYCLING_QA)
    assert list(EventRsvp.objects.filter(event=cycling).values_list("member__username", "state")) == [
        ("aino", "going")
    ]
    # Eero is Gold: he stays out of the VIP rooms, and into the clinic.
    assert not EventQuestion.objects.filter(
        event=event(demo_events.LIVE_QA), author__username="eero"
    ).exists()
    assert EventQuestion.objects.filter(event=event(demo_events.WAX_CLINIC), author__username="eero").exists()


def test_check_demo_finds_the_events_complete(world):
    seed()
    assert demo_checks.events() == []


def test_check_demo_notices_a_missing_piece(world):
    seed()
    recap = EventRecapPage.objects.get()
    recap.unpublish()
    # Two VIPs give up their places: the waitlist moves up and is empty.
    cycling = event(demo_events.WINTER_CYCLING_QA)
    for username in ("aino", "kalle"):
        rsvp_set(member=User.objects.get(username=username), event=cycling, going=False)
    failures = demo_checks.events()
    assert "the events demo lacks a past event with its published recap of answered questions" in failures
    assert "the events demo lacks an upcoming VIP Q&A that is full, with a waitlist" in failures
    assert len(failures) == 2


def test_the_printed_logins_lead_to_the_live_room(world):
    seed()
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    room = event(demo_events.LIVE_QA).live_url
    (aino,) = [line for line in lines if line.strip().startswith("aino ")]
    (moderator,) = [line for line in lines if line.strip().startswith("moderator ")]
    assert room in aino and room in moderator and "VIP tier" in aino
