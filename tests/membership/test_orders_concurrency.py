"""The shop retries: five deliveries of one order at once store one order and one entry.

The races really overlap on PostgreSQL (CI runs this file there too); on SQLite, which
serialises writers, the same tests check that retries queued behind each other still store
the order once."""

from __future__ import annotations

import pytest
from django.test import Client

from membership.models import MemberStanding, Order, OrderLine, PointEntry
from tests.conftest import run_in_threads
from tests.factories import make_member
from tests.membership.shop import make_product, order_payload, post_order

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _migrated(migrated_rows):
    return migrated_rows


def test_five_concurrent_deliveries_of_one_order_store_it_once():
    member = make_member("racer", email="racer@example.com")
    green = make_product(sustainable=True)
    payload = order_payload(
        "RACE-1",
        email="racer@example.com",
        lines=[{"sku": green.sku, "quantity": 2, "price": "50.00"}],
    )
    results, errors = run_in_threads(5, lambda _n: post_order(Client(), payload))
    assert errors == []
    assert sorted(r.status_code for r in results) == [200, 200, 200, 200, 201]
    assert sorted(r.json()["result"] for r in results) == [
        "created",
        "unchanged",
        "unchanged",
        "unchanged",
        "unchanged",
    ]
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    earned = PointEntry.objects.filter(member=member, kind=PointEntry.Kind.EARN)
    assert sorted(earned.values_list("rule__key", "amount")) == [
        ("purchase", 100),
        ("purchase-sustainable", 50),
    ]
    assert MemberStanding.objects.get(member=member).pending_points == 150


def test_concurrent_refund_deliveries_reverse_once():
    member = make_member("refunder", email="refunder@example.com")
    post_order(Client(), order_payload("RACE-2", email="refunder@example.com"))
    refund = order_payload("RACE-2", email="refunder@example.com", status="partially_refunded", total="40.00")
    _results, errors = run_in_threads(5, lambda _n: post_order(Client(), refund))
    assert errors == []
    assert MemberStanding.objects.get(member=member).pending_points == 40
    assert PointEntry.objects.filter(member=member, kind=PointEntry.Kind.REVERSAL).count() == 1


def test_two_checkouts_racing_for_one_coupon_get_one_200_and_one_409():
    from membership.models import Reward
    from membership.services.points import points_grant
    from membership.services.rewards import reward_redeem
    from tests.membership.shop import signed_post

    member = make_member("couponer", email="couponer@example.com")
    points_grant(member=member, rule_key="review", idempotency_key="race-coupon")
    reward = Reward.objects.create(name="Free shipping", kind=Reward.Kind.SHIPPING, cost=50)
    code = reward_redeem(member=member, reward_id=reward.pk).coupon_code
    results, errors = run_in_threads(2, lambda _n: signed_post(Client(), f"/api/v1/coupons/{code}/use/"))
    assert errors == []
    assert sorted(r.status_code for r in results) == [200, 409]
