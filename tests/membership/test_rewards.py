"""Rewards: a coupon and a ledger entry together, or a clear error and nothing changed."""

from __future__ import annotations

import re

import pytest

from membership.models import MemberStanding, PointEntry, Redemption, Reward, Tier
from membership.services.points import InsufficientPoints, points_grant
from membership.services.rewards import RewardUnavailable, reward_redeem
from tests.conftest import content_types_committed
from tests.factories import make_member

# give() uses the review rule as a plain 50-point award, many times a day.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_rule_uncapped")]


def give(member, points: int) -> None:
    for n in range(points // 50):
        points_grant(member=member, rule_key="review", idempotency_key=f"give:{member.pk}:{n}")


@pytest.fixture
def voucher(db):
    return Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=10, cost=100)


def test_redeeming_issues_a_unique_coupon_and_spends_the_points(member, voucher):
    give(member, 250)
    first = reward_redeem(member=member, reward_id=voucher.pk)
    second = reward_redeem(member=member, reward_id=voucher.pk)
    assert re.fullmatch(r"POLKU-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", first.coupon_code)
    assert first.coupon_code != second.coupon_code
    assert first.entry.amount == -100 and first.entry.kind == PointEntry.Kind.REDEEM
    assert MemberStanding.objects.get(member=member).spendable_points == 50


def test_not_enough_points_is_a_clear_error_and_changes_nothing(member, voucher):
    give(member, 50)
    with pytest.raises(InsufficientPoints, match="needs 100 points; 50 are available"):
        reward_redeem(member=member, reward_id=voucher.pk)
    assert not Redemption.objects.exists()
    assert MemberStanding.objects.get(member=member).spendable_points == 50


def test_tier_stock_and_limit_rules(member, other_member, voucher):
    give(member, 1000)
    give(other_member, 1000)
    voucher.min_tier = Tier.objects.get(slug="gold")
    voucher.save()
    with pytest.raises(RewardUnavailable, match="for Gold members"):
        reward_redeem(member=member, reward_id=voucher.pk)
    voucher.min_tier = None
    voucher.stock = 1
    voucher.per_member_limit = 1
    voucher.save()
    reward_redeem(member=member, reward_id=voucher.pk)
    voucher.refresh_from_db()
    assert voucher.stock == 0
    with pytest.raises(RewardUnavailable, match="out of stock"):
        reward_redeem(member=other_member, reward_id=voucher.pk)
    voucher.stock = 5
    voucher.save()
    with pytest.raises(RewardUnavailable, match="most times allowed"):
        reward_redeem(member=member, reward_id=voucher.pk)
    assert Redemption.objects.count() == 1


def test_rewards_page_redeems_and_explains(client, member, voucher):
    assert b"Log in to redeem" in client.get("/rewards/").content
    client.force_login(member)
    give(member, 50)
    page = client.get("/rewards/").content.decode()
    assert "50 more points needed." in page
    # Redeeming goes through the confirmation form, whose token the POST carries (issue 15).
    token = "confirmation-token-1234"
    response = client.post("/rewards/", {"reward": voucher.pk, "token": token}, follow=True)
    assert "needs 100 points; 50 are available" in response.content.decode()
    give(member, 150)
    response = client.post("/rewards/", {"reward": voucher.pk, "token": token}, follow=True)
    code = Redemption.objects.get().coupon_code
    assert f"Your coupon code is {code}" in response.content.decode()
    assert client.post("/rewards/", {"reward": "abc"}, follow=True).status_code == 200


def test_free_product_rewards_need_their_product():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Reward(name="Free wax", kind=Reward.Kind.PRODUCT, cost=300).full_clean()
    with pytest.raises(ValidationError):
        Reward(name="Too generous", kind=Reward.Kind.PERCENT, value=150, cost=10).full_clean()


@pytest.mark.django_db(transaction=True)
def test_the_last_item_in_stock_goes_to_one_member_only(migrated_rows):
    import threading

    from django.db import connection

    reward = Reward.objects.create(name="Last headlamp", kind=Reward.Kind.SHIPPING, cost=50, stock=1)
    members = [make_member(f"buyer{n}") for n in range(6)]
    for person in members:
        give(person, 50)
    barrier = threading.Barrier(len(members))
    outcomes = []

    def attempt(person):
        barrier.wait()
        try:
            reward_redeem(member=person, reward_id=reward.pk)
            outcomes.append("ok")
        except RewardUnavailable:
            outcomes.append("sold out")
        finally:
            connection.close()

    content_types_committed()
    threads = [threading.Thread(target=attempt, args=(person,)) for person in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["sold out"] * 5
    assert Redemption.objects.count() == 1
