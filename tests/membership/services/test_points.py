"""The points ledger service: awards, caps, tiers, reversals, redemptions, expiry, rebuild."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from membership.models import EarningRule, MemberStanding, Notification, PointEntry
from membership.services.points import (
    InsufficientPoints,
    compute_balances,
    points_approve_due,
    points_expire_due,
    points_grant,
    points_rebuild,
    points_redeem,
    points_reverse,
    points_warn_expiring,
)

pytestmark = pytest.mark.django_db
State = PointEntry.State


def standing(member) -> MemberStanding:
    return MemberStanding.objects.get(member=member)


def test_grant_is_idempotent_per_rule_source_and_member(member, other_member):
    first = points_grant(member=member, rule_key="review", source=other_member)
    again = points_grant(member=member, rule_key="review", source=other_member)
    assert first == again
    assert PointEntry.objects.count() == 1
    assert standing(member).spendable_points == 50
    assert standing(member).status_points == 50


def test_purchase_points_wait_out_the_return_window(member):
    now = timezone.now()
    entry = points_grant(
        member=member, rule_key="purchase", units=Decimal("129.90"), idempotency_key="order:1", now=now
    )
    assert entry.amount == 129 and entry.state == State.PENDING
    assert standing(member).pending_points == 129 and standing(member).spendable_points == 0
    assert points_approve_due(now=now + timedelta(days=13)) == 0
    assert points_approve_due(now=now + timedelta(days=14, seconds=1)) == 1
    assert standing(member).spendable_points == 129 and standing(member).pending_points == 0


def test_fractional_rule_points_round_down(member):
    entry = points_grant(
        member=member, rule_key="purchase-sustainable", units=101, idempotency_key="order:2:green"
    )
    assert entry.amount == 50


def test_daily_cap_limits_a_rule_per_member_per_day(member):
    now = timezone.now()
    amounts = [
        entry.amount
        for n in range(25)
        if (
            entry := points_grant(
                member=member, rule_key="forum-reply", idempotency_key=f"reply:{n}", now=now
            )
        )
    ]
    assert sum(amounts) == 40
    assert len(amounts) == 20
    tomorrow = now + timedelta(days=1)
    assert (
        points_grant(
            member=member, rule_key="forum-reply", idempotency_key="reply:next-day", now=tomorrow
        ).amount
        == 2
    )


def test_inactive_rule_awards_nothing(member):
    EarningRule.objects.filter(key="review").update(active=False)
    assert points_grant(member=member, rule_key="review", idempotency_key="x") is None
    assert not PointEntry.objects.exists()


@pytest.mark.usefixtures("review_rule_uncapped")
def test_moving_up_a_tier_is_immediate_with_notification_and_email(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            points_grant(member=member, rule_key="review", idempotency_key=f"review:{n}")
    assert standing(member).tier.slug == "silver"
    assert Notification.objects.filter(recipient=member, kind="tier-reached").count() == 1
    assert [m.subject for m in mail.outbox] == ["You reached Silver!"]


@pytest.mark.usefixtures("review_rule_uncapped")
def test_tier_multiplier_applies_to_earning(member):
    for n in range(30):
        points_grant(member=member, rule_key="review", idempotency_key=f"review:{n}")
    assert standing(member).tier.slug == "gold"
    entry = points_grant(member=member, rule_key="review", idempotency_key="review:gold")
    assert entry.amount == 62  # 50 × 1.25, rounded down


@pytest.mark.usefixtures("review_rule_uncapped")
def test_tier_is_kept_for_twelve_months_after_reaching_it(member):
    now = timezone.now()
    entries = [
        points_grant(member=member, rule_key="review", idempotency_key=f"r:{n}", now=now) for n in range(10)
    ]
    assert standing(member).tier.slug == "silver"
    points_reverse(entry=entries[0], reason="review removed", now=now + timedelta(days=30))
    assert standing(member).status_points == 450
    assert standing(member).tier.slug == "silver"  # no yo-yo
    points_rebuild(now=now + timedelta(days=366))
    assert standing(member).tier.slug == "member"  # a year on, status points have lapsed too


def test_reversing_pending_and_approved_entries(member):
    pending = points_grant(member=member, rule_key="purchase", units=200, idempotency_key="order:3")
    half = points_reverse(entry=pending, reason="partial refund", fraction=Decimal("0.5"))
    assert half.amount == -100 and half.state == State.PENDING
    assert standing(member).pending_points == 100
    # Asking again for the same fraction is the same reversal, not another one.
    assert points_reverse(entry=pending, reason="partial refund", fraction=Decimal("0.5")) == half
    # The rest, and nothing beyond it.
    rest = points_reverse(
        entry=pending, reason="full refund", fraction=Decimal(1), idempotency_key="refund:3:all"
    )
    assert rest.amount == -100
    assert points_reverse(entry=pending, reason="again", idempotency_key="refund:3:again") is None
    assert standing(member).pending_points == 0

    approved = points_grant(member=member, rule_key="review", idempotency_key="review:x")
    reversal = points_reverse(entry=approved, reason="review removed by a moderator")
    assert reversal.amount == -50 and reversal.reverses == approved
    assert standing(member).spendable_points == 0


def test_pending_entry_reversed_in_full_changes_state_without_a_new_row(member):
    pending = points_grant(member=member, rule_key="purchase", units=80, idempotency_key="order:4")
    assert points_reverse(entry=pending, reason="order cancelled") == pending
    pending.refresh_from_db()
    assert pending.state == State.REVERSED
    assert PointEntry.objects.count() == 1


def test_reversing_spent_points_leaves_a_negative_balance_and_refuses_spending(member):
    earned = points_grant(member=member, rule_key="review", idempotency_key="review:y")
    points_redeem(member=member, amount=40, reason="Coupon", idempotency_key="redeem:1")
    reversal = points_reverse(entry=earned, reason="removed")
    assert reversal.amount == -50  # taken back in full: what was spent is owed, never free
    assert standing(member).spendable_points == -40
    with pytest.raises(InsufficientPoints, match="Your balance is -40 points"):
        points_redeem(member=member, amount=1, reason="Coupon", idempotency_key="redeem:2")
    points_grant(member=member, rule_key="accepted-answer", idempotency_key="answer:1")
    assert standing(member).spendable_points == -15
    assert points_rebuild() == []


def test_redeeming_more_than_available_changes_nothing(member):
    points_grant(member=member, rule_key="review", idempotency_key="review:z")
    with pytest.raises(InsufficientPoints) as excinfo:
        points_redeem(member=member, amount=51, reason="Coupon", idempotency_key="redeem:2")
    assert excinfo.value.available == 50
    assert PointEntry.objects.count() == 1
    assert standing(member).spendable_points == 50


def test_spendable_points_expire_after_a_quiet_year_with_one_warning(member):
    start = timezone.now() - timedelta(days=400)
    points_grant(member=member, rule_key="review", idempotency_key="old", now=start)
    warn_day = start + timedelta(days=340)
    assert points_warn_expiring(now=warn_day) == 1
    assert points_warn_expiring(now=warn_day + timedelta(days=1)) == 0  # once
    assert Notification.objects.filter(recipient=member, kind="points-expiring").count() == 1
    assert points_expire_due(now=start + timedelta(days=364)) == 0
    assert points_expire_due(now=start + timedelta(days=366)) == 1
    assert points_expire_due(now=start + timedelta(days=367)) == 0
    assert standing(member).spendable_points == 0
    assert PointEntry.objects.filter(kind=PointEntry.Kind.EXPIRY).get().amount == -50


def test_rebuild_reports_and_repairs_a_tampered_cache(member, other_member):
    points_grant(member=member, rule_key="review", idempotency_key="a")
    points_grant(member=other_member, rule_key="review", idempotency_key="b")
    MemberStanding.objects.filter(member=member).update(spendable_points=9999)
    differences = points_rebuild()
    assert differences == [(member.pk, {"spendable_points": (9999, 50)})]
    assert standing(member).spendable_points == 50
    assert points_rebuild() == []


def test_earned_points_follow_earnings_and_reversals_and_are_rebuilt(member):
    review = points_grant(member=member, rule_key="review", idempotency_key="e:review")
    purchase = points_grant(member=member, rule_key="purchase", units=100, idempotency_key="e:buy")
    points_redeem(member=member, amount=30, reason="reward", idempotency_key="e:spend")
    assert standing(member).earned_points == 150  # spending never lowers what was earned
    points_reverse(entry=purchase, reason="refund", fraction=Decimal("0.5"))
    points_reverse(entry=review, reason="removed")
    # Half the pending purchase (-50) and the whole review (-50), though 30 of it was spent:
    # those 30 are owed (a negative balance), not kept as earned.
    assert standing(member).earned_points == 50
    assert standing(member).spendable_points == -30
    MemberStanding.objects.filter(member=member).update(earned_points=0)
    assert points_rebuild() == [(member.pk, {"earned_points": (0, 50)})]


def test_award_cost_does_not_grow_with_history(member):
    def award_queries(key: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            points_grant(member=member, rule_key="forum-thread", idempotency_key=key)
        return len(captured)

    points_grant(member=member, rule_key="forum-thread", idempotency_key="t:warm-up")  # creates the standing
    small = award_queries("t:first")
    for n in range(200):
        points_grant(member=member, rule_key="accepted-answer", idempotency_key=f"history:{n}")
    assert award_queries("t:second") == small
    assert compute_balances(member).spendable == standing(member).spendable_points


def test_staff_see_the_ledger_but_nobody_edits_it_in_the_admin(client, member):
    from tests.factories import make_member

    entry = points_grant(member=member, rule_key="review", idempotency_key="admin-view")
    staff = make_member("staffer", groups=["Staff"])
    client.force_login(staff)
    assert client.get("/admin/snippets/membership/pointentry/").status_code == 200
    assert client.get(f"/admin/snippets/membership/pointentry/inspect/{entry.pk}/").status_code == 200
    assert client.get(f"/admin/snippets/membership/pointentry/edit/{entry.pk}/").status_code in {302, 403}
    assert client.get("/admin/snippets/membership/pointentry/add/").status_code in {302, 403}
    assert client.get("/admin/snippets/membership/earningrule/").status_code == 200
    rule = EarningRule.objects.get(key="review")
    assert client.get(f"/admin/snippets/membership/earningrule/edit/{rule.pk}/").status_code == 200
