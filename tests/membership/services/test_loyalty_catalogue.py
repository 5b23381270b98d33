"""The ledger's copy of the earning rules and tiers (membership/services/points.py
``loyalty_catalogue``): kept per process and checked against the ``loyalty`` version that
comes back with the standings' lock, so a change is used by the very next order whichever
process made it, and a write that bumps no version is read again after CATALOGUE_MAX_AGE."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection
from django.utils import timezone

from hub.models import CacheVersion
from hub.versions import LOYALTY, bump, versions
from membership.models import EarningRule, MemberStanding, Order, PointEntry, Tier
from membership.services import points as points_service
from membership.services.orders import LineData, order_receive
from tests.factories import make_member
from tests.membership.shop import make_product

pytestmark = pytest.mark.django_db

_orders = count(1)


@pytest.fixture
def aino(db):
    return make_member("aino")


def pay(member, total: str = "100.00") -> int:
    """A paid order of ``total`` for ``member``; the purchase points it earned."""
    product = make_product()
    order_id = f"C-{next(_orders)}"
    order_receive(
        external_id=order_id,
        email=member.email,
        status=Order.Status.PAID,
        currency="EUR",
        total=Decimal(total),
        created_at=timezone.now() - timedelta(minutes=1),
        lines=[LineData(sku=product.sku, quantity=1, price=Decimal(total))],
    )
    entry = PointEntry.objects.filter(
        rule__key="purchase", source_id=str(Order.objects.get(external_id=order_id).pk)
    )
    return sum(entry.values_list("amount", flat=True))


def rule_points_in_sql(points: int) -> None:
    """The purchase rule changed past the ORM (no signal, no version bump)."""
    assert EarningRule._meta.db_table == "membership_earningrule"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE membership_earningrule SET points = %s WHERE key = %s", [points, "purchase"])


def loyalty_version() -> int:
    return versions([LOYALTY])[LOYALTY]


def test_every_orm_write_to_rules_or_tiers_gives_the_version_a_new_value(aino):
    seen = {loyalty_version()}
    rule = EarningRule.objects.get(key="purchase")
    rule.points = 3
    rule.save()
    seen.add(loyalty_version())
    EarningRule.objects.filter(key="purchase").update(points=2)
    seen.add(loyalty_version())
    tier = Tier.objects.order_by("threshold").first()
    assert tier is not None
    Tier.objects.filter(pk=tier.pk).update(multiplier=Decimal("1.5"))
    seen.add(loyalty_version())
    tier.delete()
    seen.add(loyalty_version())
    assert len(seen) == 5


def test_a_rule_saved_or_updated_is_used_by_the_next_order(aino):
    assert pay(aino) == 100  # one point a euro: the copy is read and kept
    rule = EarningRule.objects.get(key="purchase")
    rule.points = 3
    rule.save()
    assert pay(aino) == 300
    EarningRule.objects.filter(key="purchase").update(points=2)
    assert pay(aino) == 200
    EarningRule.objects.filter(key="purchase").update(active=False)
    assert pay(aino) == 0
    # The kept balances agree with the ledger through all of it.
    assert MemberStanding.objects.get(member=aino).pending_points == 600


def test_a_tier_changed_is_used_by_the_next_order(aino):
    pay(aino)
    lowest = Tier.objects.order_by("threshold").first()
    assert lowest is not None
    # The member's status reaches no tier yet (purchase points are pending); a tier from 0
    # with a multiplier applies at once.
    Tier.objects.filter(pk=lowest.pk).update(threshold=0, multiplier=Decimal("2"))
    assert pay(aino) == 200


def test_a_change_made_by_another_process_is_seen_through_the_version(aino):
    """Another process changes the rule through its ORM: the row and the version, in its
    transaction. Done here in SQL, so nothing of this process is told."""
    assert pay(aino) == 100
    rule_points_in_sql(5)
    assert pay(aino) == 100  # the version is the same: this process's copy stands
    bump(LOYALTY)
    assert pay(aino) == 500


def test_a_write_that_bumps_nothing_is_read_again_after_the_max_age(aino, monkeypatch):
    assert pay(aino) == 100
    rule_points_in_sql(4)
    monkeypatch.setattr(points_service, "CATALOGUE_MAX_AGE", 0.0)
    assert pay(aino) == 400


def test_the_version_comes_back_with_the_lock_without_a_query_of_its_own(aino, django_assert_max_num_queries):
    pay(aino)
    CacheVersion.objects.update_or_create(tag=LOYALTY, defaults={"version": 77})
    standings = points_service._standings_for_update({aino.pk: aino})
    assert standings[aino.pk].loyalty_version == 77
    assert points_service.loyalty_catalogue(77).version == 77
    with django_assert_max_num_queries(0):
        catalogue = points_service.loyalty_catalogue(77)
    assert set(catalogue.rules) >= {"purchase", "review"}
