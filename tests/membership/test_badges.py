"""Badges: declared in code, awarded once per level, live-notified, with a catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext_lazy

from membership.badge_registry import BadgeDefinition, badge_definitions, register_badge
from membership.models import BadgeAward, Notification, PointEntry, User
from membership.services.badges import badges_evaluate, badges_evaluate_all, badges_evaluate_many
from membership.services.points import points_approve_due, points_grant, points_reverse
from tests.factories import image_bytes, make_member

pytestmark = pytest.mark.django_db


def loyal_badge() -> BadgeDefinition:
    return next(badge for badge in badge_definitions() if badge.key == "loyal")


def test_first_steps_after_verifying_and_completing_the_profile(client):
    member = make_member("newbie")
    client.force_login(member)
    client.post("/settings/profile/", {"display_name": "", "bio": ""})
    assert not BadgeAward.objects.filter(member=member).exists()
    client.post(
        "/settings/profile/",
        {
            "display_name": "New Bie",
            "bio": "",
            "avatar_upload": SimpleUploadedFile("a.png", image_bytes("PNG")),
        },
    )
    assert BadgeAward.objects.filter(member=member, badge="first-steps", level=1).count() == 1
    note = Notification.objects.get(recipient=member, kind="badge-awarded")
    assert note.title == "You earned the First Steps badge"
    client.post("/settings/profile/", {"display_name": "New Bie", "bio": "Hi"})
    assert BadgeAward.objects.filter(member=member).count() == 1  # once


def _month(year: int, month: int) -> datetime:
    # Mid-month at noon: the same calendar month in any time zone.
    return datetime(year, month, 15, 12, tzinfo=UTC)


def _purchase(member, when: datetime, key: str, units: int = 40):
    return points_grant(member=member, rule_key="purchase", units=units, idempotency_key=key, now=when)


def test_an_old_account_that_never_came_back_is_not_loyal(member):
    # Account age used to be the whole rule: five years and one purchase made "Loyal · Gold".
    member.date_joined = timezone.now() - timedelta(days=365 * 5 + 2)
    member.save()
    _purchase(member, _month(2022, 1), "once")
    assert loyal_badge().counter(member) == 1
    assert badges_evaluate(member=member, event="daily") == []
    assert not BadgeAward.objects.filter(member=member, badge="loyal").exists()


def test_purchases_in_three_distinct_months_earn_loyal_bronze_once(member):
    # Hand count: January (two orders), March, and May -> 3 active months, Bronze (3).
    _purchase(member, _month(2026, 1), "jan-1")
    _purchase(member, _month(2026, 1) + timedelta(days=3), "jan-2")
    _purchase(member, _month(2026, 3), "mar")
    assert badges_evaluate(member=member, event="daily") == []  # two months so far
    _purchase(member, _month(2026, 5), "may")
    new = badges_evaluate(member=member, event="daily")
    assert [(a.badge, a.level) for a in new] == [("loyal", 1)]
    assert badges_evaluate(member=member, event="daily") == []
    titles = list(
        Notification.objects.filter(recipient=member, kind="badge-awarded").values_list("title", flat=True)
    )
    assert titles == ["You earned the Loyal badge (Bronze)"]
    assert badges_evaluate_all(event="daily") == 0


def test_active_months_count_any_own_activity_but_not_refunds_or_passive_points(member, other_member):
    # Month by month (hand count, member):
    #   2025-01 purchase, refunded in full      -> no
    #   2025-02 review                          -> yes (1)
    #   2025-03 forum reply + event attendance  -> yes (2)
    #   2025-04 helpful reactions received only -> no (others acted)
    #   2025-05 purchase, refunded in part      -> yes (3)
    #   2025-06 ... 2025-14: nothing
    refunded = _purchase(member, _month(2025, 1), "refunded")
    points_approve_due(now=_month(2025, 2))
    refunded.refresh_from_db()
    assert refunded.state == PointEntry.State.APPROVED
    points_reverse(entry=refunded, reason="refund", now=_month(2025, 2))
    points_grant(member=member, rule_key="review", idempotency_key="rev", now=_month(2025, 2))
    points_grant(member=member, rule_key="forum-reply", idempotency_key="reply", now=_month(2025, 3))
    points_grant(member=member, rule_key="event-attendance", idempotency_key="event", now=_month(2025, 3))
    points_grant(member=member, rule_key="helpful-reaction", idempotency_key="helpful", now=_month(2025, 4))
    partly = _purchase(member, _month(2025, 5), "partly", units=100)
    points_reverse(entry=partly, reason="one item returned", fraction=Decimal("0.5"), now=_month(2025, 5))
    # A pending purchase refunded in full simply becomes "reversed".
    gone = _purchase(member, _month(2025, 6), "gone")
    points_reverse(entry=gone, reason="refund", now=_month(2025, 6))
    _purchase(other_member, _month(2025, 7), "other")

    assert loyal_badge().counter(member) == 3
    assert loyal_badge().counter(other_member) == 1
    # The bulk path (the order import) reads the same counts in one query.
    with CaptureQueriesContext(connection) as queries:
        many = loyal_badge().counter_many([member, other_member])
    assert many == {member.pk: 3, other_member.pk: 1} and len(queries) == 1
    # As badges_evaluate reads it: an expression over the member's row.
    counted = User.objects.filter(pk__in=[member.pk, other_member.pk]).annotate(
        months=Coalesce(Subquery(loyal_badge().count()), 0)
    )
    assert dict(counted.values_list("pk", "months")) == {member.pk: 3, other_member.pk: 1}


def test_loyal_levels_are_three_twelve_and_twenty_four_active_months(member, other_member):
    for n in range(12):
        _purchase(member, _month(2024 + n // 12, n % 12 + 1), f"m{n}")
    new = badges_evaluate_many(members=[member, other_member], event="order.paid")
    assert sorted((a.member_id, a.badge, a.level) for a in new if a.badge == "loyal") == [
        (member.pk, "loyal", 1),
        (member.pk, "loyal", 2),
    ]
    assert loyal_badge().thresholds == (3, 12, 24)
    assert "months" in str(loyal_badge().description)


def test_evaluating_an_event_costs_one_query_per_listening_badge_whatever_the_history(member, monkeypatch):
    from membership import badge_registry

    badge_definitions()  # load the real badges first, then work on a copy
    monkeypatch.setattr(badge_registry, "_BADGES", dict(badge_registry._BADGES))
    calls = []
    register_badge(
        BadgeDefinition(
            key="test-counter",
            name="Counter",
            description="",
            thresholds=(1000,),
            unit=ngettext_lazy("%(count)s thing", "%(count)s things", "count"),
            counter=lambda m: calls.append(m) or BadgeAward.objects.filter(member=m).count(),
            events=frozenset({"test.event"}),
        )
    )
    with CaptureQueriesContext(connection) as small:
        badges_evaluate(member=member, event="test.event")
    for n in range(1, 40):
        BadgeAward.objects.create(member=member, badge="history", level=n)
    with CaptureQueriesContext(connection) as large:
        badges_evaluate(member=member, event="test.event")
    assert len(large) == len(small)
    assert len(calls) == 2


def test_catalogue_shows_levels_holders_and_my_progress(client, member, other_member):
    for month in (1, 2, 3):
        _purchase(other_member, _month(2026, month), f"eero-{month}")
    badges_evaluate(member=other_member, event="daily")
    client.force_login(member)
    response = client.get("/badges/")
    assert response.status_code == 200
    loyal = next(entry for entry in response.context["catalogue"] if entry["badge"].key == "loyal")
    assert [lv["holders"] for lv in loyal["levels"]] == [1, 0, 0]
    assert loyal["count"] == 0 and loyal["next"]["threshold"] == 3
    assert "Your progress: 0 of 3 active months" in response.content.decode()
    assert {entry["badge"].key for entry in response.context["catalogue"]} >= {"first-steps", "loyal"}
    assert client.get("/members/eero/").content.decode().count("Loyal · Bronze") == 1


def test_a_badge_unit_must_take_its_count(monkeypatch):
    """A plain noun ("things") cannot agree with a number ("1 things"): refused at registration."""
    from membership import badge_registry

    monkeypatch.setattr(badge_registry, "_BADGES", {})
    common = {"key": "plain", "name": "Plain", "description": "", "thresholds": (1,), "counter": lambda m: 0}
    for unit in ("things", gettext_lazy("things")):
        with pytest.raises(ValueError, match="plural-aware"):
            register_badge(BadgeDefinition(unit=unit, **common))
    things = ngettext_lazy("%(count)s thing", "%(count)s things", "count")
    register_badge(BadgeDefinition(unit=things, **common))
    quantities = [badge_registry._BADGES["plain"].quantity(n) for n in (0, 1, 2)]
    assert quantities == ["0 things", "1 thing", "2 things"]


def test_badges_are_declared_by_their_app():
    keys = {badge.key for badge in badge_definitions()}
    assert {"first-steps", "loyal"} <= keys
