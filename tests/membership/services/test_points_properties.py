"""Property test of the ledger: whatever sequence of grants, reversals, redemptions (plain and
for coupons), gifts (points and coupons), coupon use, approvals and expiries happens, the
cached balances equal the ledger, no key repeats, no entry is reversed beyond its amount, a
negative balance comes only from reversals (spending never goes below zero), every voided
coupon is unused and gave its cost back exactly once, and no gifted coupon is ever voided."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from membership.campaigns.gifts import gift_points, gift_reward
from membership.models import MemberStanding, PointEntry, Redemption, Reward
from membership.services.coupons import coupon_use
from membership.services.points import (
    InsufficientPoints,
    compute_balances,
    points_approve_due,
    points_expire_due,
    points_grant,
    points_redeem,
    points_reverse,
)
from membership.services.rewards import reward_redeem
from tests.factories import make_member

RULES = ["review", "forum-reply", "purchase", "accepted-answer", "helpful-reaction"]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.members = [make_member(f"m{run}{n}", email=f"m{run}{n}@example.com") for n in range(2)]
        self.now = timezone.now()
        self.keys: list[str] = []
        self.reward = Reward.objects.create(name=f"coupon {run}", kind=Reward.Kind.FIXED, value=5, cost=20)

    @rule(
        member=st.integers(0, 1),
        rule_key=st.sampled_from(RULES),
        source=st.integers(0, 6),
        units=st.integers(0, 300),
    )
    def grant(self, member, rule_key, source, units):
        key = f"{rule_key}:{source}:{member}:{self.members[member].pk}"
        points_grant(
            member=self.members[member], rule_key=rule_key, units=units, idempotency_key=key, now=self.now
        )

    @rule(index=st.integers(0, 50), fraction=st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)]))
    def reverse(self, index, fraction):
        earned = list(
            PointEntry.objects.filter(member__in=self.members, kind=PointEntry.Kind.EARN).order_by("pk")
        )
        if earned:
            points_reverse(
                entry=earned[index % len(earned)], reason="property test", fraction=fraction, now=self.now
            )

    @rule(member=st.integers(0, 1), amount=st.integers(1, 60), n=st.integers(0, 1000))
    def redeem(self, member, amount, n):
        with contextlib.suppress(InsufficientPoints):
            points_redeem(
                member=self.members[member],
                amount=amount,
                reason="reward",
                idempotency_key=f"redeem:{self.members[member].pk}:{n}",
                now=self.now,
            )

    @rule(member=st.integers(0, 1))
    def redeem_coupon(self, member):
        with contextlib.suppress(InsufficientPoints):
            reward_redeem(member=self.members[member], reward_id=self.reward.pk)

    @rule(member=st.integers(0, 1), points=st.integers(1, 80), n=st.integers(0, 1000))
    def gift_some_points(self, member, points, n):
        gift_points(
            member=self.members[member],
            points=points,
            reason="property test",
            author=None,
            idempotency_key=f"gift-points:{self.members[member].pk}:{n}",
            notify=False,
            now=self.now,
        )

    @rule(member=st.integers(0, 1), n=st.integers(0, 1000))
    def gift_a_coupon(self, member, n):
        gift_reward(
            member=self.members[member],
            reward=self.reward,
            reason="property test",
            author=None,
            idempotency_key=f"gift-coupon:{self.members[member].pk}:{n}",
            notify=False,
            now=self.now,
        )

    @rule(index=st.integers(0, 50))
    def use_coupon(self, index):
        unused = list(
            Redemption.objects.filter(
                member__in=self.members, used_at__isnull=True, voided_at__isnull=True
            ).order_by("pk")
        )
        if unused:
            coupon_use(code=unused[index % len(unused)].coupon_code)

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        points_approve_due(now=self.now)
        points_expire_due(now=self.now)

    @invariant()
    def cache_equals_ledger(self):
        for member in self.members:
            standing = MemberStanding.objects.filter(member=member).first()
            if standing is None:
                assert not PointEntry.objects.filter(member=member).exists()
                continue
            actual = compute_balances(member, now=self.now)
            approved = (
                PointEntry.objects.filter(member=member, state=PointEntry.State.APPROVED).aggregate(
                    s=Sum("amount")
                )["s"]
                or 0
            )
            assert standing.spendable_points == actual.spendable == approved
            # Below zero only by what reversals took back after it was spent.
            reversed_approved = (
                PointEntry.objects.filter(
                    member=member, kind=PointEntry.Kind.REVERSAL, state=PointEntry.State.APPROVED
                ).aggregate(s=Sum("amount"))["s"]
                or 0
            )
            assert standing.spendable_points >= min(0, reversed_approved)
            assert standing.pending_points >= 0
            assert standing.status_points >= 0
            # The all-time leaderboard's cached total is what the ledger says was earned.
            assert standing.earned_points == actual.earned >= 0

    @invariant()
    def voided_coupons_were_unused_and_refunded_once(self):
        voids = PointEntry.objects.filter(member__in=self.members, kind=PointEntry.Kind.VOID)
        voided = Redemption.objects.filter(member__in=self.members, voided_at__isnull=False)
        assert voids.count() == voided.count()
        for redemption in voided.select_related("entry"):
            assert redemption.used_at is None
            assert voids.get(source_id=str(redemption.pk)).amount == -redemption.entry.amount

    @invariant()
    def gifted_coupons_are_never_voided(self):
        assert not Redemption.objects.filter(
            member__in=self.members, entry__kind=PointEntry.Kind.GIFT, voided_at__isnull=False
        ).exists()

    @invariant()
    def keys_unique_and_reversals_bounded(self):
        entries = PointEntry.objects.filter(member__in=self.members)
        assert not entries.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).exists()
        for entry in entries.filter(kind=PointEntry.Kind.EARN):
            reversed_total = -(
                entry.reversals.exclude(state=PointEntry.State.REVERSED).aggregate(s=Sum("amount"))["s"] or 0
            )
            assert reversed_total <= entry.amount


@pytest.mark.django_db
def test_ledger_invariants_hold_for_any_sequence():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
