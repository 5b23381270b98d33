"""The demo's shop history (membership/demo/history.py): a seeded plan of believable orders,
written through the real services, once. A reduced size keeps these tests quick; no test
loads the whole demo."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from content.demo.catalogue import PRODUCTS
from content.models import Product
from hub.demo import DemoContext
from membership.demo.history import (
    MONTHS,
    PERSONAS,
    PREFIX,
    Item,
    history_plan,
    seed_history,
)
from membership.models import MemberStanding, Order, PointEntry, Redemption, Referral, Reward, User
from membership.services.points import points_adjust
from tests.factories import make_member

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
SPORTS = {
    "cycling": {"winter cycling", "commuting", "bike lights", "locks", "bags", "bike security"},
    "skiing": {"cross-country skiing", "ski wax", "skis", "ski boots", "poles"},
    "running": {"trail running", "winter running", "running shoes", "running vests"},
}


def items() -> list[Item]:
    return [
        Item(
            sku=spec.sku,
            price=Decimal(spec.price),
            sports=frozenset(sport for sport, tags in SPORTS.items() if tags & set(spec.tags)),
            tags=frozenset(spec.tags),
        )
        for spec in PRODUCTS
    ]


def months_between(first: datetime, last: datetime) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def test_the_plan_is_the_same_for_the_same_seed_and_day():
    one = history_plan(catalogue=items(), now=NOW, customers=300, personas=PERSONAS)
    two = history_plan(catalogue=items(), now=NOW, customers=300, personas=PERSONAS)
    other = history_plan(catalogue=items(), now=NOW, customers=300, personas=PERSONAS, seed=7)
    assert one == two
    assert one.orders != other.orders


def test_the_plan_has_the_intended_shape():
    plan = history_plan(catalogue=items(), now=NOW, customers=1500, personas=PERSONAS)
    assert len(plan.customers) == 1500
    assert len({c.key for c in plan.customers}) == 1500
    assert len({c.email for c in plan.customers if c.email}) == 1500 - len(PERSONAS)
    segments = Counter(c.segment for c in plan.customers)
    assert segments["guest"] > 1000 and segments["member"] + segments["enthusiast"] + segments["club"] > 250
    # 18–24 months of history, ending now, in the catalogue's products and prices.
    first, last = plan.orders[0].created_at, plan.orders[-1].created_at
    assert 18 <= months_between(first, last) <= 24 and months_between(first, last) == MONTHS
    assert last < NOW and NOW - last < timedelta(days=7)
    prices = {item.sku: item.price for item in items()}
    assert all(line.price == prices[line.sku] for order in plan.orders for line in order.lines)
    assert [o.created_at for o in plan.orders] == sorted(o.created_at for o in plan.orders)
    assert len({o.external_id for o in plan.orders}) == len(plan.orders)

    orders = Counter(o.customer for o in plan.orders)
    assert all(orders[c.key] >= 1 for c in plan.customers)

    def repeat_rate(segment_names: set[str]) -> float:
        keys = [c.key for c in plan.customers if c.segment in segment_names]
        return sum(orders[key] >= 2 for key in keys) / len(keys)

    # Members come back more than non-members; the named regulars and the VIPs the most.
    assert repeat_rate({"persona"}) > repeat_rate({"member", "enthusiast", "club"}) > repeat_rate({"guest"})
    assert 0.2 < repeat_rate({"guest"}) < 0.5
    # The VIPs buy often and a lot: more than any community regular, far more than a member.
    value = Counter()
    for order in plan.orders:
        value[order.customer] += order.value
    assert min(value[n] for n in ["kalle", "riikka", "antti", "satu"]) > 5 * (
        sum(value[c.key] for c in plan.customers if c.segment == "member") / segments["member"]
    )
    assert orders["aino"] > orders["liisa"] and orders["eero"] > 10
    # Juha was a regular, then stopped: nothing in the last 285 days.
    juha = [o.created_at for o in plan.orders if o.customer == "juha"]
    assert len(juha) >= 8 and max(juha) < NOW - timedelta(days=285)
    # Some refunds (in part and in full); some members came by a friend's link, which their
    # first order carries.
    refunds = [o for o in plan.orders if o.refund is not None]
    full = [o for o in refunds if o.refund.returned >= o.value]
    assert 0.03 < len(refunds) / len(plan.orders) < 0.12 and 0 < len(full) < len(refunds)
    members = {c.key: c for c in plan.customers if c.segment in {"member", "enthusiast", "club"}}
    referred = {key for key, c in members.items() if c.referred_by}
    assert 0.03 < len(referred) / len(members) < 0.12
    assert all(members[members[key].referred_by].joined < members[key].joined for key in referred)
    firsts = {}
    for order in plan.orders:
        firsts.setdefault(order.customer, order)
    assert {o.customer for o in plan.orders if o.referral_from} == referred
    assert all(firsts[key].referral_from == members[key].referred_by for key in referred)


def test_cohorts_fade_at_different_rates():
    plan = history_plan(catalogue=items(), now=NOW, customers=1500, personas=[])
    first: dict[str, datetime] = {}
    again: set[str] = set()
    for order in plan.orders:
        if order.customer not in first:
            first[order.customer] = order.created_at
        elif order.created_at - first[order.customer] < timedelta(days=180):
            again.add(order.customer)

    def came_back(months: set[int]) -> float:
        # First purchases at least 180 days ago, so every cohort had the same time to return.
        keys = [k for k, t in first.items() if t.month in months and t < NOW - timedelta(days=180)]
        return sum(k in again for k in keys) / len(keys)

    # Black Friday and Christmas buyers rarely come back; the new season's customers do.
    assert came_back({9, 10}) > came_back({11, 12}) + 0.1


@pytest.fixture
def world(db):
    for n, spec in enumerate(PRODUCTS):
        product = Product.objects.create(
            name=spec.name,
            slug=f"history-{n}",
            sku=spec.sku,
            price=Decimal(spec.price),
            is_sustainable=bool(spec.sustainable),
        )
        product.tags.add(*spec.tags)
    admin = make_member("admin")
    # The named members as the demo leaves them: aino and kalle VIP, eero Gold, juha Silver.
    people = {}
    for username, carried in {"aino": 4200, "kalle": 4800, "eero": 1650, "juha": 600, "liisa": 0}.items():
        people[username] = make_member(username, email=f"{username}@polku.example")
        if carried:
            points_adjust(member=people[username], amount=carried, reason="Carried over", actor=admin)
    Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=500)
    return people


def tiers() -> dict[str, str]:
    return dict(
        MemberStanding.objects.filter(tier__isnull=False).values_list("member__username", "tier__slug")
    )


def test_seeding_writes_the_history_through_the_services_once(world):
    before = tiers()
    logs: list[str] = []
    seed_history(DemoContext(log=logs.append), customers=150, now=NOW)

    orders = Order.objects.filter(external_id__startswith=PREFIX)
    plan_size = orders.count()
    assert plan_size > 150 and logs and logs[0].startswith("history: 150 customers")
    # Generated members' orders link to them (verified addresses); non-members' wait unlinked.
    generated = User.objects.filter(orders__isnull=False).exclude(username__in=[*world, "admin"]).distinct()
    assert generated.count() > 15
    assert not generated.exclude(password__startswith="!").exists()  # nobody signs in as them
    assert orders.filter(member__isnull=True).count() > orders.filter(member__in=generated).count()
    # Points were earned, approved once the return window passed, and some spent on coupons
    # that were then used on an order.
    assert PointEntry.objects.filter(rule__key="purchase", member__in=generated, state="approved").exists()
    used = Redemption.objects.filter(used_at__isnull=False)
    assert used.exists()
    assert set(orders.exclude(coupon_code="").values_list("coupon_code", flat=True)) == set(
        used.values_list("coupon_code", flat=True)
    )
    assert orders.filter(status="refunded").exists() and orders.filter(status="partially_refunded").exists()
    # Friends who joined through a member's link: their first order carries the code, and
    # qualified the referral (converted once the return window passed).
    referrals = Referral.objects.filter(friend__in=generated)
    assert referrals.filter(state="converted").exists()
    for referral in referrals.filter(state="converted").select_related("order", "referrer__referral_link"):
        assert referral.order.referral_code == referral.referrer.referral_link.code
    # Every tier buys, the named members keep the tiers the demo's story rests on, and juha's
    # orders stop 285 days before the end.
    after = tiers()
    buyers = set(Order.objects.filter(member__isnull=False).values_list("member__username", flat=True))
    assert {after[name] for name in buyers} == {"member", "silver", "gold", "vip"}
    assert {n: after[n] for n in ["aino", "kalle", "eero", "juha"]} == {
        n: before[n] for n in ["aino", "kalle", "eero", "juha"]
    }
    last = orders.filter(member__username="juha").order_by("-created_at").first()
    assert last is not None and last.created_at < NOW - timedelta(days=285)

    counts = (
        Order.objects.count(),
        PointEntry.objects.count(),
        User.objects.count(),
        Redemption.objects.count(),
    )
    seed_history(DemoContext(log=logs.append), customers=150, now=NOW + timedelta(days=3))
    assert counts == (
        Order.objects.count(),
        PointEntry.objects.count(),
        User.objects.count(),
        Redemption.objects.count(),
    )
    assert len(logs) == 1


def test_without_products_nothing_is_written(db):
    logs: list[str] = []
    seed_history(DemoContext(log=logs.append), customers=50, now=NOW)
    assert not Order.objects.exists() and logs == ["history: no products in the catalogue, skipped"]
