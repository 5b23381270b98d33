"""The demo's orders: believable, through the real service, and safe to seed twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content.demo.catalogue import PRODUCTS
from content.models import Product
from hub.demo import DemoContext
from membership.demo.orders import ORDERS, seed_orders
from membership.models import BadgeAward, MemberStanding, Order, PointEntry
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    used = {sku for spec in ORDERS for sku, _q in spec.lines}
    for n, spec in enumerate(p for p in PRODUCTS if p.sku in used):
        Product.objects.create(
            name=spec.name,
            slug=f"demo-{n}",
            sku=spec.sku,
            price=Decimal(spec.price),
            is_sustainable=bool(spec.sustainable),
        )
    return {name: make_member(name) for name in ["aino", "eero", "liisa", "mikko", "sanna", "juha"]}


def test_seeding_orders_twice_makes_them_once(people):
    logs: list[str] = []
    seed_orders(DemoContext(log=logs.append), people)
    entries = PointEntry.objects.count()
    seed_orders(DemoContext(log=logs.append), people)
    assert Order.objects.count() == len(ORDERS)
    assert PointEntry.objects.count() == entries
    assert logs == [f"orders: {len(ORDERS)} from the shop's history"]


def test_the_demo_orders_tell_the_story(people):
    seed_orders(DemoContext(log=lambda _m: None), people)
    statuses = dict(Order.objects.values_list("external_id", "status"))
    assert statuses["W-20952"] == "partially_refunded" and statuses["W-22390"] == "refunded"
    assert Order.objects.get(external_id="W-22860").member is None  # no account yet
    # Old orders are approved; Mikko's four-day-old order is still pending.
    mikko = MemberStanding.objects.get(member=people["mikko"])
    assert mikko.pending_points > 0 and mikko.spendable_points == 0
    assert MemberStanding.objects.get(member=people["sanna"]).spendable_points > 0
    assert PointEntry.objects.filter(rule__key="purchase-sustainable").exists()
    assert BadgeAward.objects.filter(member=people["aino"], badge="green-choice", level=1).exists()
