"""Gifts (membership/campaigns/gifts.py): points and coupons given through the ledger and the
redemption service, idempotent, with the author on the ledger row, the member told in their
language; gifted coupons expire and are never voided to cover a reversal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from membership.campaigns import gifts
from membership.campaigns.gifts import gift_points, gift_reward, gifts_give
from membership.campaigns.models import Gift
from membership.models import MemberStanding, Notification, PointEntry, Redemption, Reward
from membership.selectors import leaderboard
from membership.services.coupons import CouponExpired, CouponInvalid, coupon_get, coupon_is_valid, coupon_use
from membership.services.notifications import notification_send
from membership.services.points import (
    compute_balances,
    points_approve_due,
    points_grant,
    points_rebuild,
    points_reverse,
)
from membership.services.rewards import reward_redeem
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def member():
    return make_member("aino")


@pytest.fixture
def reward():
    return Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=500)


def standing(member) -> MemberStanding:
    return MemberStanding.objects.get(member=member)


# --- points ------------------------------------------------------------------------------------


def test_gift_points_are_spendable_at_once_and_never_status_or_leaderboard_points(member, staff):
    points_grant(member=member, rule_key="review", idempotency_key="earned")
    before = standing(member)
    gift = gift_points(
        member=member, points=250, reason="Sorry about the late parcel", author=staff, idempotency_key="g1"
    )
    after = standing(member)
    assert gift.kind == Gift.Kind.POINTS and gift.points == 250 and gift.author == staff
    entry = gift.entry
    assert (entry.kind, entry.amount, entry.state) == (PointEntry.Kind.GIFT, 250, PointEntry.State.APPROVED)
    assert entry.actor == staff and entry.note == "Sorry about the late parcel"
    assert after.spendable_points == before.spendable_points + 250
    assert (after.status_points, after.earned_points, after.tier_id) == (
        before.status_points,
        before.earned_points,
        before.tier_id,
    )
    assert after.last_earned_at == before.last_earned_at  # a gift is not earning activity
    assert before.earned_points > 0
    ranked = [row["points"] for row in leaderboard(now=timezone.now()) if row["member"].pk == member.pk]
    assert ranked == [before.earned_points]
    # The cache is what the ledger says.
    assert points_rebuild() == []
    assert compute_balances(member).spendable == after.spendable_points


def test_a_replayed_gift_returns_the_same_gift_and_writes_nothing(member, staff):
    first = gift_points(member=member, points=100, reason="Thanks", author=staff, idempotency_key="same")
    counts = (Gift.objects.count(), PointEntry.objects.count(), Notification.objects.count())
    again = gift_points(member=member, points=100, reason="Thanks", author=staff, idempotency_key="same")
    assert again.pk == first.pk
    assert (Gift.objects.count(), PointEntry.objects.count(), Notification.objects.count()) == counts
    assert standing(member).spendable_points == 100


def test_the_member_is_told_in_their_language(member, staff, monkeypatch):
    member.language = "fi"
    member.save(update_fields=["language"])
    languages = []

    def recording_send(**kwargs):
        languages.append(translation.get_language())
        return notification_send(**kwargs)

    monkeypatch.setattr(gifts, "notification_send", recording_send)
    with translation.override("en"):  # staff working in English
        gift_points(member=member, points=100, reason="Kiitos", author=staff, idempotency_key="fi")
    assert languages == ["fi"]
    note = Notification.objects.get(recipient=member, kind="gift")
    assert note.url == "/rewards/"
    assert "100" in note.title and note.body == "Kiitos"


def test_notify_false_tells_nobody(member):
    gift_points(
        member=member, points=10, reason="Campaign", author=None, idempotency_key="quiet", notify=False
    )
    assert not Notification.objects.filter(recipient=member, kind="gift").exists()


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [(0, "why", "points"), (-5, "why", "points"), (100_001, "why", "points"), (10, "  ", "reason")],
)
def test_gift_points_checks_its_input_and_writes_nothing(member, staff, points, reason, field):
    with pytest.raises(ValidationError) as caught:
        gift_points(member=member, points=points, reason=reason, author=staff, idempotency_key="bad")
    assert field in caught.value.message_dict
    assert not Gift.objects.exists() and not PointEntry.objects.exists()


# --- reward coupons ------------------------------------------------------------------------------


def test_gift_reward_makes_a_free_expiring_coupon_recorded_in_the_ledger(member, staff, reward):
    now = timezone.now()
    gift = gift_reward(
        member=member,
        reward=reward,
        reason="Welcome",
        author=staff,
        idempotency_key="r1",
        valid_days=14,
        now=now,
    )
    redemption = gift.redemption
    assert redemption.reward == reward and redemption.member == member
    assert redemption.expires_at == now + timedelta(days=14)
    assert redemption.coupon_code.startswith("POLKU-")
    entry = redemption.entry
    assert gift.entry == entry
    assert (entry.kind, entry.amount, entry.actor) == (PointEntry.Kind.GIFT, 0, staff)
    # It cost no points: no balance moved, whatever the reward's cost.
    assert standing(member).spendable_points == 0
    note = Notification.objects.get(recipient=member, kind="gift")
    assert redemption.coupon_code in note.body and note.url == "/rewards/"
    assert coupon_is_valid(coupon_get(code=redemption.coupon_code))


def test_a_gift_reward_may_be_inactive_and_ignores_stock_limits_and_tier(member, staff, reward):
    reward.active = False
    reward.stock = 0
    reward.per_member_limit = 1
    reward.save()
    first = gift_reward(member=member, reward=reward, reason="Gift only", author=staff, idempotency_key="a")
    second = gift_reward(member=member, reward=reward, reason="Gift only", author=staff, idempotency_key="b")
    assert first.redemption_id != second.redemption_id
    reward.refresh_from_db()
    assert reward.stock == 0  # a gift draws no stock


def test_a_replayed_reward_gift_gives_one_coupon(member, staff, reward):
    first = gift_reward(member=member, reward=reward, reason="Welcome", author=staff, idempotency_key="k")
    again = gift_reward(member=member, reward=reward, reason="Welcome", author=staff, idempotency_key="k")
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1 and PointEntry.objects.count() == 1
    assert Notification.objects.filter(kind="gift").count() == 1


@pytest.mark.parametrize("days", [0, 731])
def test_coupon_validity_is_1_to_730_days(member, staff, reward, days):
    with pytest.raises(ValidationError) as caught:
        gift_reward(
            member=member, reward=reward, reason="x", author=staff, idempotency_key="d", valid_days=days
        )
    assert "valid_days" in caught.value.message_dict
    assert not Redemption.objects.exists()


def test_an_expired_coupon_is_refused_and_stays_unused(member, staff, reward):
    now = timezone.now()
    gift = gift_reward(
        member=member, reward=reward, reason="x", author=staff, idempotency_key="e", valid_days=1, now=now
    )
    code = gift.redemption.coupon_code
    later = now + timedelta(days=1, seconds=1)
    assert coupon_is_valid(coupon_get(code=code), now=now + timedelta(hours=23))
    assert not coupon_is_valid(coupon_get(code=code), now=later)
    with pytest.raises(CouponExpired) as caught:
        coupon_use(code=code, now=later)
    assert isinstance(caught.value, CouponInvalid)
    expected_date = timezone.localdate(now + timedelta(days=1)).isoformat()
    assert str(caught.value) == f"This coupon expired on {expected_date}."
    assert Redemption.objects.get().used_at is None
    # Before its expiry it works like any coupon.
    other = gift_reward(member=member, reward=reward, reason="x", author=staff, idempotency_key="f", now=now)
    assert coupon_use(code=other.redemption.coupon_code, now=now).used_at == now


def test_a_reversal_never_voids_a_gifted_coupon(member, staff, reward, review_rule_uncapped):
    """The member spends earned points on a coupon and is gifted another; the earned points
    are reversed: the bought coupon is voided to cover it, the gifted one is kept."""
    now = timezone.now()
    reward.cost = 50
    reward.save()
    earned = points_grant(member=member, rule_key="review", idempotency_key="earn", now=now)
    points_approve(member, earned)
    bought = reward_redeem(member=member, reward_id=reward.pk, now=now + timedelta(seconds=1))
    gifted = gift_reward(
        member=member,
        reward=reward,
        reason="x",
        author=staff,
        idempotency_key="g",
        now=now + timedelta(seconds=2),
    ).redemption
    points_reverse(entry=earned, reason="refund", now=now + timedelta(seconds=3))
    bought.refresh_from_db()
    gifted.refresh_from_db()
    assert bought.voided_at is not None
    assert gifted.voided_at is None
    assert coupon_is_valid(gifted, now=now + timedelta(seconds=4))
    assert not PointEntry.objects.filter(kind=PointEntry.Kind.VOID, source_id=str(gifted.pk)).exists()


def points_approve(member, entry) -> None:
    if entry.state == PointEntry.State.PENDING:
        points_approve_due(now=entry.available_at)
    entry.refresh_from_db()
    assert entry.state == PointEntry.State.APPROVED


# --- many members ------------------------------------------------------------------------------


def test_gifts_give_is_idempotent_per_member_and_skips_closed_accounts(staff, reward):
    members = [make_member(f"m{n}") for n in range(5)]
    closed = make_member("closed")
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    # One member already got their gift (a run cut short).
    gift_points(
        member=members[0],
        points=20,
        reason="Batch",
        author=staff,
        idempotency_key=f"batch-1:{members[0].pk}",
    )
    result = gifts_give(
        members=[*members, closed],
        kind="points",
        points=20,
        reward=None,
        reason="Batch",
        author=staff,
        batch_key="batch-1",
        valid_days=30,
    )
    assert (result.given, result.already_given, result.skipped_inactive) == (4, 1, 1)
    again = gifts_give(
        members=members,
        kind="points",
        points=20,
        reward=None,
        reason="Batch",
        author=staff,
        batch_key="batch-1",
        valid_days=30,
    )
    assert (again.given, again.already_given) == (0, 5)
    assert Gift.objects.count() == 5
    assert all(standing(m).spendable_points == 20 for m in members)


def test_gifts_give_checks_before_giving_anyone(staff):
    members = [make_member(f"m{n}") for n in range(2)]
    with pytest.raises(ValidationError):
        gifts_give(
            members=members,
            kind="reward",
            points=None,
            reward=None,
            reason="x",
            author=staff,
            batch_key="b",
            valid_days=30,
        )
    assert not Gift.objects.exists()


def test_gifts_give_queries_do_not_grow_per_chunk_check(staff, django_assert_max_num_queries):
    members = [make_member(f"m{n}") for n in range(10)]
    gifts_give(
        members=members,
        kind="points",
        points=5,
        reward=None,
        reason="x",
        author=staff,
        batch_key="q",
        valid_days=30,
    )
    # A replay of the whole batch is one lookup per chunk of 500, whatever its size.
    with django_assert_max_num_queries(1):
        gifts_give(
            members=members,
            kind="points",
            points=5,
            reward=None,
            reason="x",
            author=staff,
            batch_key="q",
            valid_days=30,
        )


def test_the_rewards_page_shows_the_expiry_and_marks_gifts(client, member, staff, reward):
    now = timezone.now()
    points_grant(member=member, rule_key="review", idempotency_key="earn", now=now)
    reward.cost = 1
    reward.save(update_fields=["cost"])
    points_approve_due(now=now + timedelta(days=400))
    bought = reward_redeem(member=member, reward_id=reward.pk)
    fresh = gift_reward(
        member=member, reward=reward, reason="x", author=staff, idempotency_key="fresh"
    ).redemption
    stale = gift_reward(
        member=member,
        reward=reward,
        reason="x",
        author=staff,
        idempotency_key="stale",
        now=now - timedelta(days=40),
    ).redemption
    client.force_login(member)
    page = client.get("/rewards/").text
    for coupon in (bought, fresh, stale):
        assert coupon.coupon_code in page
    rows = {
        code: row
        for row in page.split("<tr>")
        for code in (bought.coupon_code, fresh.coupon_code, stale.coupon_code)
        if code in row
    }
    assert "gift" not in rows[bought.coupon_code] and "No expiry" in rows[bought.coupon_code]
    assert ">gift<" in rows[fresh.coupon_code] and "Not yet" in rows[fresh.coupon_code]
    assert ">gift<" in rows[stale.coupon_code] and "Expired" in rows[stale.coupon_code]
