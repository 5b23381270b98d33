"""Fake reviews never turn into coupons: only verified buyers earn, points wait out a hold and
a daily cap, and points taken back after they were spent void the unused coupon or leave a
negative balance, never free money."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community.models import Review
from community.reviews.services.moderation import review_approve, review_remove
from community.reviews.services.reviews import review_create
from membership.models import EarningRule, MemberStanding, Notification, Order, PointEntry, Redemption, Reward
from membership.services.coupons import CouponInvalid, coupon_is_valid, coupon_use, coupons_void_to_cover
from membership.services.orders import order_receive
from membership.services.points import (
    InsufficientPoints,
    compute_balances,
    points_approve_due,
    points_grant,
    points_rebuild,
    points_reverse_source,
    points_void_redemption,
)
from membership.services.rewards import reward_redeem
from tests.community.conftest import buy, veteran, write_review
from tests.content.conftest import make_product
from tests.membership.shop import signed_get, signed_post

pytestmark = pytest.mark.django_db

State = PointEntry.State
Kind = PointEntry.Kind
REVIEW_RULES = ["review", "review-photo"]


def review_entries(member):
    return PointEntry.objects.filter(member=member, rule__key__in=REVIEW_RULES, kind=Kind.EARN)


def spendable(member) -> int:
    return MemberStanding.objects.get(member=member).spendable_points


def public_review(author, moderator, *, days_ago: int, rating: int = 4) -> Review:
    """A verified buyer's review published ``days_ago`` (bought the day before)."""
    product = make_product()
    buy(author, product, days_ago=days_ago + 1)
    when = timezone.now() - timedelta(days=days_ago)
    review = review_create(
        author=author, product=product, rating=rating, title="Good", body="Fine.", now=when
    )
    if review.state == Review.State.PENDING:
        review = review_approve(review=review, moderator=moderator, now=when)
    return review


def refund_in_full(order: Order, *, email: str) -> None:
    """The shop reports ``order`` refunded in full, as its webhook would."""
    order_receive(
        external_id=order.external_id,
        email=email,
        status=Order.Status.REFUNDED,
        currency="EUR",
        total=Decimal(0),
        created_at=order.created_at,
        lines=[],
        refunded_total=order.original_total,
    )


@pytest.fixture
def voucher(db):
    return Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=5, cost=50)


# --- Only verified buyers earn ---------------------------------------------------------------


def test_a_review_of_a_product_not_bought_is_published_labelled_and_earns_nothing(
    client, author, moderator, product
):
    review = write_review(author, product, title="Never owned it", approve_by=moderator)
    assert review.state == Review.State.PUBLISHED
    assert not review.incentivised
    assert not PointEntry.objects.filter(member=author).exists()

    html = client.get(product.get_absolute_url()).content.decode()
    card = html[html.index(f'id="review-{review.pk}"') :]
    assert "Not a verified purchase" in card
    assert "Incentivised" not in card and "Verified buyer" not in card


def test_a_verified_buyers_review_earns_and_is_labelled_as_such(client, author, moderator, product):
    review = write_review(author, product, approve_by=moderator, bought=True)
    assert review.incentivised
    assert list(review_entries(author).values_list("amount", flat=True)) == [50]

    html = client.get(product.get_absolute_url()).content.decode()
    card = html[html.index(f'id="review-{review.pk}"') :]
    assert "Verified buyer" in card and "Incentivised" in card
    assert "Not a verified purchase" not in card


def test_a_refunded_order_does_not_make_a_verified_buyer(author, moderator, product):
    order = buy(author, product)
    refund_in_full(order, email=author.email)
    write_review(author, product, approve_by=moderator)
    assert not review_entries(author).exists()


# --- Pending for the hold, then approved by the periodic job ---------------------------------


def test_review_points_are_pending_until_the_review_has_been_public_for_the_hold(
    settings, author, moderator, product
):
    settings.KANTA_REVIEW_POINTS_HOLD_DAYS = 7
    published = timezone.now()
    write_review(author, product, approve_by=moderator, bought=True)
    entry = review_entries(author).get()
    assert entry.state == State.PENDING
    assert published <= entry.available_at - timedelta(days=7) <= timezone.now()
    assert compute_balances(author).spendable == 0

    points_approve_due(now=entry.available_at - timedelta(minutes=1))
    entry.refresh_from_db()
    assert entry.state == State.PENDING and spendable(author) == 0

    points_approve_due(now=entry.available_at)
    entry.refresh_from_db()
    assert entry.state == State.APPROVED and spendable(author) == 50


def test_the_hold_is_a_setting_and_a_longer_rule_wait_wins(settings, author, moderator):
    settings.KANTA_REVIEW_POINTS_HOLD_DAYS = 2
    first = write_review(author, make_product(), approve_by=moderator, bought=True)
    entry = review_entries(author).get(source_id=str(first.pk))
    assert entry.available_at - entry.created_at == timedelta(days=2)

    EarningRule.objects.filter(key="review").update(pending_days=10)
    second = write_review(author, make_product(), bought=True)
    entry = review_entries(author).get(source_id=str(second.pk))
    assert entry.available_at - entry.created_at == timedelta(days=10)

    # A rule edited to no wait at all cannot release review points at once.
    EarningRule.objects.filter(key="review").update(pending_days=0)
    third = write_review(author, make_product(), bought=True)
    entry = review_entries(author).get(source_id=str(third.pk))
    assert entry.state == State.PENDING
    assert entry.available_at - entry.created_at == timedelta(days=2)


def test_removal_during_the_hold_reverses_the_points_before_they_are_ever_spendable(author, moderator):
    review = public_review(author, moderator, days_ago=3)
    assert set(review_entries(author).values_list("state", flat=True)) == {State.PENDING}
    review_remove(review=review, moderator=moderator, reason="Fake")
    points_approve_due(now=timezone.now() + timedelta(days=60))
    assert set(review_entries(author).values_list("state", flat=True)) == {State.REVERSED}
    # Only the purchase, approved after its return window, is spendable.
    purchase = PointEntry.objects.filter(member=author, rule__key="purchase").get()
    assert spendable(author) == purchase.amount
    assert not PointEntry.objects.filter(member=author, kind=Kind.REVERSAL).exists()


# --- Daily cap --------------------------------------------------------------------------------


def test_review_rules_have_a_daily_cap_by_default():
    caps = dict(EarningRule.objects.filter(key__in=REVIEW_RULES).values_list("key", "daily_cap"))
    assert caps == {"review": 150, "review-photo": 75}


def test_review_points_are_capped_per_day_and_reviews_past_the_cap_are_not_labelled_incentivised(moderator):
    member = veteran("prolific")
    today = timezone.now()
    reviews = []
    for n in range(4):
        product = make_product()
        buy(member, product)
        review = review_create(author=member, product=product, rating=1 + n, title="T", body="B", now=today)
        if review.state == Review.State.PENDING:
            review = review_approve(review=review, moderator=moderator, now=today)
        reviews.append(review)
    assert sum(review_entries(member).values_list("amount", flat=True)) == 150
    assert [review.incentivised for review in reviews] == [True, True, True, False]

    tomorrow = today + timedelta(days=1)
    product = make_product()
    buy(member, product)
    review_create(author=member, product=product, rating=5, title="T", body="B", now=tomorrow)
    assert sum(review_entries(member).values_list("amount", flat=True)) == 200


# --- Points reversed after they were spent ----------------------------------------------------


def test_spent_review_points_void_the_unused_coupon_when_the_review_is_removed(
    author, moderator, voucher, django_capture_on_commit_callbacks
):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    assert spendable(author) == 50
    coupon = reward_redeem(member=author, reward_id=voucher.pk)
    assert spendable(author) == 0

    review_remove(review=review, moderator=moderator, reason="Fake review")

    coupon.refresh_from_db()
    assert coupon.voided_at is not None and "Fake review" in coupon.void_reason
    assert not coupon_is_valid(coupon)
    with pytest.raises(CouponInvalid, match="voided"):
        coupon_use(code=coupon.coupon_code)
    rows = PointEntry.objects.filter(member=author, kind__in=[Kind.REVERSAL, Kind.VOID])
    assert sorted(rows.values_list("kind", "amount")) == [(Kind.REVERSAL, -50), (Kind.VOID, 50)]
    assert spendable(author) == 0
    assert Notification.objects.filter(recipient=author, kind="coupon-voided").count() == 1
    assert points_rebuild() == []


def test_the_shops_coupon_api_refuses_a_voided_coupon(client, author, moderator, voucher):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    coupon = reward_redeem(member=author, reward_id=voucher.pk)
    review_remove(review=review, moderator=moderator, reason="Fake review")

    looked_up = signed_get(client, f"/api/v1/coupons/{coupon.coupon_code}/")
    assert looked_up.status_code == 200 and looked_up.json()["valid"] is False
    used = signed_post(client, f"/api/v1/coupons/{coupon.coupon_code}/use/")
    assert used.status_code == 409 and used.json()["error"] == "invalid_coupon"
    coupon.refresh_from_db()
    assert coupon.used_at is None


def test_spent_points_on_a_used_coupon_leave_a_negative_balance_that_refuses_spending_until_earned_back(
    author, moderator, voucher
):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    coupon = reward_redeem(member=author, reward_id=voucher.pk)
    coupon_use(code=coupon.coupon_code)

    review_remove(review=review, moderator=moderator, reason="Paid review")

    standing = MemberStanding.objects.get(member=author)
    assert standing.spendable_points == -50
    # Status counts what was earned net of its reversal: nothing is left of the review.
    assert standing.status_points == 0
    assert not PointEntry.objects.filter(kind=Kind.VOID).exists()
    with pytest.raises(InsufficientPoints, match="Your balance is -50 points") as refused:
        reward_redeem(member=author, reward_id=voucher.pk)
    assert refused.value.available == -50
    assert Redemption.objects.filter(member=author).count() == 1
    assert points_rebuild() == []

    # New points pay the debt off first.
    points_grant(member=author, rule_key="accepted-answer", idempotency_key="answer:1")
    assert spendable(author) == -25
    points_grant(member=author, rule_key="accepted-answer", idempotency_key="answer:2")
    points_grant(member=author, rule_key="accepted-answer", idempotency_key="answer:3")
    assert spendable(author) == 25


def test_only_as_many_coupons_as_the_shortfall_needs_are_voided_newest_first(author, moderator, voucher):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    for n in range(2):
        points_grant(member=author, rule_key="accepted-answer", idempotency_key=f"answer:{n}")
    older = reward_redeem(member=author, reward_id=voucher.pk)
    newer = reward_redeem(member=author, reward_id=voucher.pk)
    Redemption.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert spendable(author) == 0

    review_remove(review=review, moderator=moderator, reason="Fake")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.voided_at is not None
    assert older.voided_at is None and coupon_is_valid(older)
    assert spendable(author) == 0


def test_a_coupon_redeemed_before_the_points_were_spendable_is_not_voided(author, moderator, voucher):
    for n in range(2):
        points_grant(member=author, rule_key="accepted-answer", idempotency_key=f"answer:{n}")
    earlier = reward_redeem(member=author, reward_id=voucher.pk)
    Redemption.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=30))
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    coupon_use(code=reward_redeem(member=author, reward_id=voucher.pk).coupon_code)

    review_remove(review=review, moderator=moderator, reason="Fake")

    earlier.refresh_from_db()
    assert earlier.voided_at is None
    assert spendable(author) == -50


def test_reversals_and_voids_happen_once(author, moderator, voucher):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    coupon = reward_redeem(member=author, reward_id=voucher.pk)
    review_remove(review=review, moderator=moderator, reason="Fake")
    rows = PointEntry.objects.filter(member=author).count()

    points_reverse_source(source=review, reason="again")
    assert (
        coupons_void_to_cover(member=author, since=coupon.created_at, reason="again", now=timezone.now())
        == []
    )
    coupon.refresh_from_db()
    assert points_void_redemption(redemption=coupon) is None
    assert PointEntry.objects.filter(member=author).count() == rows
    assert spendable(author) == 0


# --- Buy, review, return ----------------------------------------------------------------------


def test_a_full_refund_of_the_only_order_takes_back_the_reviews_points(author, moderator):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    assert spendable(author) == 50
    order = Order.objects.get(member=author)
    refund_in_full(order, email=author.email)
    reversal = PointEntry.objects.get(member=author, kind=Kind.REVERSAL, rule__key="review")
    assert reversal.amount == -50 and reversal.source_id == str(review.pk)
    assert spendable(author) == 0


def test_a_refund_leaves_the_points_when_another_order_still_holds_the_product(author, moderator):
    review = public_review(author, moderator, days_ago=8)
    first = Order.objects.get(member=author)
    buy(author, review.product)
    refund_in_full(first, email=author.email)
    assert set(review_entries(author).values_list("state", flat=True)) == {State.PENDING}


# --- Pages with a negative balance ------------------------------------------------------------


def test_rewards_page_profile_and_admin_show_a_negative_balance(client, author, moderator, voucher):
    review = public_review(author, moderator, days_ago=8)
    points_approve_due()
    coupon_use(code=reward_redeem(member=author, reward_id=voucher.pk).coupon_code)
    review_remove(review=review, moderator=moderator, reason="Fake")
    client.force_login(author)

    rewards = client.get("/rewards/").content.decode()
    assert "Your balance is -50 points." in rewards
    assert "points to spend" not in rewards
    assert "100 more points needed." in rewards

    profile = client.get(author.get_absolute_url()).content.decode()
    assert "Your balance is -50 points." in profile

    staff = veteran("staffer", groups=["Staff"])
    client.force_login(staff)
    members = client.get("/admin/users/")
    assert members.status_code == 200 and "-50" in members.text
