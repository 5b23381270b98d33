"""Referrals and the friend's orders: qualification, refunds, conversion after the return
window, the monthly limit and staff review."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from membership.devices import ip_hash
from membership.models import BadgeAward, MemberStanding, Notification, PointEntry, Referral
from membership.services.referrals import (
    member_fingerprint_record,
    referral_review,
    referrals_convert_due,
)
from tests.factories import make_member
from tests.membership.referral_factories import pay, refer, refund

pytestmark = pytest.mark.django_db

State, Reason = Referral.State, Referral.Reason
WINDOW = timedelta(days=14)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def aino(db):
    return make_member("aino", display_name="Aino Virtanen")


@pytest.fixture
def referral(aino, now):
    return refer(aino, "kalle", now=now)


@pytest.fixture
def flagged(aino, now):
    member_fingerprint_record(member=aino, device_id="", ip_hash=ip_hash("198.51.100.1"), now=now)
    referral = refer(aino, "kalle", now=now, ip="198.51.100.1")
    assert referral.state == State.FLAGGED
    return referral


def referral_entries(referral: Referral):
    return PointEntry.objects.filter(source_id=str(referral.pk), rule__key__startswith="referral-")


def balances(member) -> tuple[int, int]:
    standing = MemberStanding.objects.get(member=member)
    return standing.spendable_points, standing.pending_points


# --- Qualification ----------------------------------------------------------------------


def test_an_order_below_the_minimum_does_not_qualify_but_a_later_one_does(referral, now):
    pay("kalle@example.com", "29.99", now=now + timedelta(days=1))
    referral.refresh_from_db()
    assert referral.state == State.SIGNED_UP and referral.order is None
    assert not referral_entries(referral).exists()

    order = pay("kalle@example.com", "45", now=now + timedelta(days=2))
    referral.refresh_from_db()
    assert (referral.state, referral.order, referral.qualified_at) == (
        State.QUALIFYING,
        order,
        now + timedelta(days=2),
    )
    entries = {entry.member.username: entry for entry in referral_entries(referral)}
    assert {name: (e.amount, e.state) for name, e in entries.items()} == {
        "aino": (200, PointEntry.State.PENDING),
        "kalle": (100, PointEntry.State.PENDING),
    }
    assert entries["aino"].available_at == now + timedelta(days=2) + WINDOW


def test_exactly_the_minimum_qualifies_and_a_second_order_changes_nothing(referral, now):
    first = pay("kalle@example.com", "30.00", now=now)
    pay("kalle@example.com", "300", now=now + timedelta(days=1))
    referral.refresh_from_db()
    assert referral.state == State.QUALIFYING and referral.order == first
    assert referral_entries(referral).count() == 2


def test_an_order_paid_from_the_referrers_address_is_refused(aino, referral, now):
    # The friend's account has verified a spelling of Aino's address: it is her own order.
    EmailAddress.objects.create(user=referral.friend, email="Aino+gift@example.com", verified=True)
    pay("Aino+gift@example.com", "60", now=now)
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.OWN_ORDER)
    assert not referral_entries(referral).exists()


def test_past_the_monthly_limit_a_referral_is_flagged(aino, now):
    # Mid-month, so that all of them fall in the same calendar month.
    now = timezone.localtime(now).replace(day=14, hour=12)
    for n in range(20):
        refer(aino, f"friend{n}", now=now)
        pay(f"friend{n}@example.com", "35", now=now)
    assert Referral.objects.filter(state=State.QUALIFYING).count() == 20
    late = refer(aino, "friend20", now=now)
    pay("friend20@example.com", "35", now=now)
    late.refresh_from_db()
    assert (late.state, late.reason) == (State.FLAGGED, Reason.MONTHLY_LIMIT)
    assert late.order is not None and not referral_entries(late).exists()

    # Next month the count starts again.
    next_month = (now + timedelta(days=31)).replace(day=2)
    fresh = refer(aino, "friend21", now=next_month)
    pay("friend21@example.com", "35", now=next_month)
    fresh.refresh_from_db()
    assert fresh.state == State.QUALIFYING


def test_an_order_of_a_flagged_referral_waits_for_staff(flagged, now):
    order = pay("kalle@example.com", "50", now=now + timedelta(days=1))
    flagged.refresh_from_db()
    assert flagged.state == State.FLAGGED and flagged.order == order
    assert not referral_entries(flagged).exists()


# --- Refunds ----------------------------------------------------------------------------


def test_full_refund_in_the_window_refuses_and_reverses(aino, referral, now):
    order = pay("kalle@example.com", "45", now=now)
    assert balances(aino) == (0, 200)
    refund(order, left="0", now=now + timedelta(days=5))
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.ORDER_REFUNDED)
    assert set(referral_entries(referral).values_list("state", flat=True)) == {PointEntry.State.REVERSED}
    assert balances(aino) == (0, 0)
    assert referrals_convert_due(now=now + WINDOW + timedelta(days=1)) == 0


def test_partial_refund_keeping_the_minimum_keeps_the_referral(referral, now):
    order = pay("kalle@example.com", "80", now=now)
    refund(order, left="40", now=now + timedelta(days=3))
    referral.refresh_from_db()
    assert referral.state == State.QUALIFYING
    assert set(referral_entries(referral).values_list("state", flat=True)) == {PointEntry.State.PENDING}


def test_partial_refund_below_the_minimum_refuses(referral, now):
    order = pay("kalle@example.com", "80", now=now)
    refund(order, left="20", now=now + timedelta(days=3))
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.ORDER_REFUNDED)


# --- Conversion -------------------------------------------------------------------------


def test_conversion_after_the_window_rewards_both_and_is_idempotent(aino, referral, now):
    kalle = referral.friend
    pay("kalle@example.com", "45", now=now)
    assert referrals_convert_due(now=now + WINDOW - timedelta(minutes=1)) == 0
    referral.refresh_from_db()
    assert referral.state == State.QUALIFYING

    later = now + WINDOW + timedelta(minutes=1)
    assert referrals_convert_due(now=later) == 1
    referral.refresh_from_db()
    assert (referral.state, referral.converted_at) == (State.CONVERTED, later)
    assert set(referral_entries(referral).values_list("state", flat=True)) == {PointEntry.State.APPROVED}
    assert balances(aino) == (200, 0)
    assert balances(kalle) == (145, 0)  # 100 for joining, 45 for the order
    assert BadgeAward.objects.filter(member=aino, badge="connector", level=1).exists()
    assert Notification.objects.filter(recipient=aino, kind="referral-converted").count() == 1
    assert Notification.objects.filter(recipient=kalle, kind="referral-converted").count() == 1
    assert "+200" in Notification.objects.get(recipient=aino, kind="referral-converted").title

    # Run again (another worker, the next tick): nothing changes.
    assert referrals_convert_due(now=later + timedelta(hours=1)) == 0
    assert balances(aino) == (200, 0)
    assert Notification.objects.filter(kind="referral-converted").count() == 2
    assert BadgeAward.objects.filter(member=aino, badge="connector").count() == 1


def test_refund_after_conversion_keeps_it(aino, referral, now):
    order = pay("kalle@example.com", "45", now=now)
    referrals_convert_due(now=now + WINDOW)
    refund(order, left="0", now=now + WINDOW + timedelta(days=2))
    referral.refresh_from_db()
    assert referral.state == State.CONVERTED
    assert balances(aino) == (200, 0)


def test_connector_badge_levels(aino, now):
    for n in range(5):
        refer(aino, f"friend{n}", now=now)
        pay(f"friend{n}@example.com", "35", now=now)
    assert referrals_convert_due(now=now + WINDOW) == 5
    assert set(BadgeAward.objects.filter(member=aino, badge="connector").values_list("level", flat=True)) == {
        1,
        2,
    }


# --- Staff review -----------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return make_member("kaisa", groups=[])


def test_approving_a_flagged_referral_without_an_order_puts_it_back_to_signed_up(flagged, staff, now):
    reviewed = referral_review(referral=flagged, approve=True, actor=staff, note="Flatmates.", now=now)
    assert reviewed.state == State.SIGNED_UP
    assert (reviewed.reviewed_by, reviewed.reviewed_at) == (staff, now)
    assert "Flatmates." in reviewed.detail
    pay("kalle@example.com", "45", now=now + timedelta(days=1))
    reviewed.refresh_from_db()
    assert reviewed.state == State.QUALIFYING


def test_approving_a_flagged_referral_whose_order_arrived_qualifies_it(aino, flagged, staff, now):
    order = pay("kalle@example.com", "45", now=now + timedelta(days=1))
    decided = now + timedelta(days=3)
    reviewed = referral_review(referral=flagged, approve=True, actor=staff, note="Checked.", now=decided)
    assert (reviewed.state, reviewed.order, reviewed.qualified_at) == (State.QUALIFYING, order, decided)
    assert referral_entries(flagged).filter(state=PointEntry.State.PENDING).count() == 2
    # The window runs from the approval, for the referral and its points alike.
    assert referrals_convert_due(now=decided + WINDOW) == 1
    assert balances(aino) == (200, 0)


def test_approving_a_referral_flagged_for_the_monthly_limit(aino, staff, now):
    now = timezone.localtime(now).replace(day=14, hour=12)
    for n in range(21):
        refer(aino, f"friend{n}", now=now)
        pay(f"friend{n}@example.com", "35", now=now)
    late = Referral.objects.get(state=State.FLAGGED)
    reviewed = referral_review(referral=late, approve=True, actor=staff, note="Our ambassador.", now=now)
    assert reviewed.state == State.QUALIFYING
    assert referral_entries(late).count() == 2


def test_refusing_a_flagged_referral(flagged, staff, now):
    pay("kalle@example.com", "45", now=now)
    reviewed = referral_review(referral=flagged, approve=False, actor=staff, note="Same household.", now=now)
    assert (reviewed.state, reviewed.reason, reviewed.detail) == (
        State.REFUSED,
        Reason.STAFF,
        "Same household.",
    )
    assert reviewed.reviewed_by == staff
    assert not referral_entries(flagged).filter(state=PointEntry.State.PENDING).exists()


def test_only_flagged_referrals_can_be_reviewed(referral, staff, now):
    with pytest.raises(ValidationError):
        referral_review(referral=referral, approve=True, actor=staff, note="")
    pay("kalle@example.com", "45", now=now)
    referral.refresh_from_db()
    with pytest.raises(ValidationError):
        referral_review(referral=referral, approve=False, actor=staff, note="")
    assert referral_entries(referral).filter(state=PointEntry.State.PENDING).count() == 2


def test_minimum_comes_from_settings(referral, now, settings):
    settings.KANTA_REFERRAL_MIN_ORDER = Decimal("100")
    pay("kalle@example.com", "99", now=now)
    referral.refresh_from_db()
    assert referral.state == State.SIGNED_UP
