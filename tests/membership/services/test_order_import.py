"""orders_import stores what order_receive stores, one order after the other, in bulk.

Each comparison builds one world (members, referrals, a ledger history) through the real
services, reports a history one order at a time through ``order_receive`` inside a
savepoint, records everything stored, rolls back, imports the same history with
``orders_import`` and compares. Stored rows are compared by what they mean (order ids,
usernames, rule keys), since primary keys differ between the two runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membership.models import (
    BadgeAward,
    EarningRule,
    MemberStanding,
    Notification,
    Order,
    OrderLine,
    PointEntry,
    Referral,
    User,
)
from membership.services.order_import import ImportResult, OrderData, orders_import
from membership.services.orders import LineData, OrderRejected, order_receive
from membership.services.points import points_approve_due, points_grant
from membership.signals import order_paid
from tests.factories import make_member
from tests.membership.referral_factories import refer
from tests.membership.shop import make_product

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def one_at_a_time(history: list[OrderData]) -> ImportResult:
    """What the webhook path stores: order_receive for each order, in turn."""
    result = ImportResult(created=0, updated=0, unchanged=0, stale=0, rejected=[])
    for data in history:
        try:
            receipt = order_receive(**data.receive_kwargs(), now=NOW, notify=False)
        except OrderRejected as exc:
            result.rejected.append((data.external_id, exc.errors))
        else:
            result.count(receipt.result)
    return result


def snapshot() -> dict:
    """Everything an import can write, by meaning rather than by primary key."""
    orders = {order.pk: order for order in Order.objects.select_related("member")}
    entries = {
        entry.pk: entry for entry in PointEntry.objects.select_related("member", "rule", "source_type")
    }

    def source(entry: PointEntry) -> str:
        if entry.source_type is None:
            return ""
        if entry.source_type.model == "order":
            return f"order {orders[int(entry.source_id)].external_id}"
        return f"{entry.source_type.model} {entry.source_id}"

    def key(entry: PointEntry) -> str:
        parts = entry.idempotency_key.split(":")
        if parts[0] == "refund":  # refund:<order>:<entry>:<cents>
            return f"refund:{orders[int(parts[1])].external_id}:{key(entries[int(parts[2])])}:{parts[3]}"
        if entry.source_type is not None and entry.source_type.model == "order":
            return f"{parts[0]}:{source(entry)}:{entry.member.username}"
        return entry.idempotency_key

    return {
        "orders": {
            order.external_id: (
                order.email,
                order.member.username if order.member else None,
                order.status,
                order.currency,
                order.original_total,
                order.total,
                order.referral_code,
                order.coupon_code,
                order.earns_points,
                order.refund_pending,
                order.created_at,
                order.received_at,
                order.updated_at,
            )
            for order in orders.values()
        },
        "lines": sorted(
            (
                line.order.external_id,
                line.sku,
                line.product_id,
                line.quantity,
                line.price,
                line.is_sustainable,
            )
            for line in OrderLine.objects.select_related("order")
        ),
        # In the order they were written: the same awards in the same sequence.
        "ledger": [
            (
                entry.member.username,
                entry.amount,
                entry.kind,
                entry.rule.key if entry.rule else None,
                entry.state,
                key(entry),
                source(entry),
                key(entries[entry.reverses_id]) if entry.reverses_id else None,
                entry.available_at,
                entry.expires_at,
                entry.created_at,
                entry.note,
            )
            for entry in sorted(entries.values(), key=lambda e: e.pk)
        ],
        "standings": {
            s.member.username: (
                s.status_points,
                s.spendable_points,
                s.pending_points,
                s.earned_points,
                s.last_earned_at,
                s.tier.slug if s.tier else None,
                s.tier_reached_at,
                s.expiry_warned_for,
            )
            for s in MemberStanding.objects.select_related("member", "tier")
        },
        "badges": sorted(BadgeAward.objects.values_list("member__username", "badge", "level")),
        "referrals": {
            r.friend.username: (
                r.referrer.username,
                r.state,
                r.reason,
                r.detail,
                r.order.external_id if r.order else None,
                r.qualified_at,
                r.converted_at,
            )
            for r in Referral.objects.select_related("friend", "referrer", "order")
        },
        "notifications": sorted(
            Notification.objects.values_list("recipient__username", "kind", "title", "body", "url")
        ),
    }


def compare(history: list[OrderData], *, batch_size: int, then=None) -> ImportResult:
    """Import ``history`` both ways from the same state and assert the same outcome; ``then``
    (a list of orders, after uma's address is verified behind the shop's back) is a second
    import compared the same way. Leaves the bulk import's state.

    The clock stands still at NOW: a few services read it themselves (a referral refused on
    a refund reverses its points as of the real time), and both runs must read the same."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        return _compare(history, batch_size=batch_size, then=then)


def _compare(history: list[OrderData], *, batch_size: int, then=None) -> ImportResult:
    sid = transaction.savepoint()
    expected = one_at_a_time(history)
    points_approve_due(now=NOW)
    expected_state = snapshot()
    if then is not None:
        EmailAddress.objects.filter(email="uma@example.com").update(verified=True)
        expected_again = one_at_a_time(then)
        expected_again_state = snapshot()
    transaction.savepoint_rollback(sid)

    result = orders_import(orders=history, now=NOW, batch_size=batch_size)
    points_approve_due(now=NOW)
    assert result == expected
    assert snapshot() == expected_state
    if then is not None:
        EmailAddress.objects.filter(email="uma@example.com").update(verified=True)
        again = orders_import(orders=then, now=NOW, batch_size=batch_size)
        assert again == expected_again
        assert snapshot() == expected_again_state
    return result


# --- The world and its history ------------------------------------------------------------


def order(external_id: str, email: str, total: str, when: datetime, *lines: tuple, **fields) -> OrderData:
    total_d = Decimal(total)
    built = [LineData(sku=sku, quantity=qty, price=Decimal(price)) for sku, qty, price in lines]
    if not built and fields.get("status", "paid") == "paid":
        built = [LineData(sku="PLAIN-1", quantity=1, price=total_d)]
    return OrderData(
        external_id=external_id,
        email=email,
        status=fields.pop("status", "paid"),
        currency=fields.pop("currency", "EUR"),
        total=total_d,
        created_at=when,
        lines=built,
        **fields,
    )


@pytest.fixture
def world(db):
    """Members with verified and unverified addresses, two referred friends, a member whose
    status points (from 20 months ago) put her in Silver for old orders and not for new ones."""
    make_product(sku="GREEN-1", price="40.00", sustainable=True)
    make_product(sku="PLAIN-1", price="20.00")
    aino = make_member("aino")
    eero = make_member("eero")
    make_member("uma", verified=False)
    make_member("closed")
    User.objects.filter(username="closed").update(is_active=False)
    # 600 status points earned 20 months ago: within the 12 months before an order of two
    # years ago (Silver then), long gone for this year's orders.
    for n in range(20):
        points_grant(
            member=aino, rule_key="accepted-answer", idempotency_key=f"history:{n}", now=days_ago(600)
        )
    refer(aino, "frida", email="frida@example.com", now=days_ago(200))
    refer(eero, "fred", email="fred@example.com", now=days_ago(100))
    refer(eero, "fanny", email="fanny@example.com", now=days_ago(90))
    return {"aino": aino, "eero": eero}


def history() -> list[OrderData]:
    green, plain = ("GREEN-1", 1, "40.00"), ("PLAIN-1", 1, "20.00")
    orders = [
        # Aino: two years ago (Silver's multiplier), a discount on a green line, this year.
        order("A-1", "aino@example.com", "60.00", days_ago(700), green, plain),
        order("A-2", "AINO@example.com", "50.00", days_ago(690), green, ("PLAIN-1", 1, "30.00")),
        order("A-3", "aino@example.com", "120.00", days_ago(30), green, green, green),
        order("A-4", " aino@example.com ", "45.50", days_ago(3), green, coupon_code="polku-abcd-efgh"),
        # Eero's green orders earn the Green Choice badge; one of them in the return window.
        *[order(f"E-{n}", "eero@example.com", "40.00", days_ago(300 - 20 * n), green) for n in range(4)],
        order("E-9", "eero@example.com", "40.00", days_ago(2), green),
        # Partial then full refund of one order, in the same batch and across batches.
        order("R-1", "eero@example.com", "100.00", days_ago(60)),
        order("N-1", "nobody@example.com", "10.00", days_ago(59)),
        order("R-1", "eero@example.com", "70.00", days_ago(60), status="partially_refunded"),
        order("N-2", "nobody2@example.com", "11.00", days_ago(58), coupon_code="SPRING-26"),
        order("N-3", "nobody@example.com", "12.00", days_ago(57)),
        order("N-4", "nobody3@example.com", "13.00", days_ago(56)),
        order("R-1", "eero@example.com", "0", days_ago(60), status="refunded"),
        # A late retry of the paid message: stale.
        order("R-1", "eero@example.com", "100.00", days_ago(60)),
        # Refunded before it was ever seen paid, then its paid message after all.
        order(
            "P-1", "aino@example.com", "0", days_ago(40), status="refunded", refunded_total=Decimal("80.00")
        ),
        order("P-1", "aino@example.com", "80.00", days_ago(40)),
        # Unverified, inactive and unknown customers wait unlinked.
        order("U-1", "uma@example.com", "35.00", days_ago(20), green),
        order("U-2", "uma@example.com", "25.00", days_ago(10)),
        order("C-0", "closed@example.com", "25.00", days_ago(10)),
        order("K-1", "kalle@exämple.fi", "15.00", days_ago(10)),
        # Frida: a small order first (no referral change), then the qualifying one, refunded.
        order("F-1", "frida@example.com", "20.00", days_ago(150)),
        order("F-2", "frida@example.com", "80.00", days_ago(140), green),
        order("F-3", "frida@example.com", "30.00", days_ago(130)),
        order("F-2", "frida@example.com", "0", days_ago(140), status="refunded"),
        # Fred's order was placed before he joined through the link: refused.
        order("G-1", "fred@example.com", "90.00", days_ago(120)),
        # Fanny qualifies, and her order keeps going after the refund of a part.
        order("H-1", "fanny@example.com", "100.00", days_ago(5)),
        order("H-1", "fanny@example.com", "90.00", days_ago(5), status="partially_refunded"),
        # Rejected: a refunded order with a total, a coupon that changes, a bad coupon code.
        order("X-1", "aino@example.com", "10.00", days_ago(9), status="refunded"),
        order("C-1", "eero@example.com", "25.00", days_ago(8), coupon_code="SPRING-26"),
        order("C-1", "eero@example.com", "25.00", days_ago(8), coupon_code="autumn"),
        order("C-2", "eero@example.com", "25.00", days_ago(8), coupon_code="NOT A CODE"),
        # The shop's clock ahead of ours: points are dated now, not in the future.
        order("T-1", "eero@example.com", "33.00", NOW + timedelta(hours=2)),
    ]
    return orders


def latest(orders: list[OrderData]) -> list[OrderData]:
    """Each order's last message once, as a CSV of the shop's current state holds it."""
    return list({data.external_id: data for data in orders}.values())


@pytest.mark.parametrize("batch_size", [1000, 7, 1])
def test_a_varied_history_is_stored_exactly_as_one_order_at_a_time(world, batch_size):
    result = compare(history(), batch_size=batch_size, then=latest(history()))
    assert (result.created, result.updated, result.stale) == (26, 5, 1)
    assert {external_id for external_id, _errors in result.rejected} == {"X-1", "C-1", "C-2"}
    assert "coupon_code" in dict(result.rejected)["C-2"]
    # The story the history tells, as stored.
    assert Order.objects.get(external_id="A-4").coupon_code == "POLKU-ABCD-EFGH"
    assert Order.objects.get(external_id="C-1").coupon_code == "SPRING-26"
    assert BadgeAward.objects.filter(member=world["eero"], badge="green-choice").exists()
    states = dict(Referral.objects.values_list("friend__username", "state"))
    assert states == {"frida": "refused", "fred": "refused", "fanny": "qualifying"}
    assert Order.objects.get(external_id="U-1").member.username == "uma"  # linked by the second import


def refund_requests() -> list[OrderData]:
    """Refunds requested, withdrawn and settled, in new and stored orders alike."""
    aino, eero = "aino@example.com", "eero@example.com"
    return [
        order("RP-1", eero, "100.00", days_ago(20), refund_pending=True),
        order("RP-2", "nobody@example.com", "10.00", days_ago(19), refund_pending=True),
        order("RP-3", aino, "50.00", days_ago(18)),
        order("RP-3", aino, "50.00", days_ago(18), refund_pending=True),  # only the flag changes
        order("RP-1", eero, "70.00", days_ago(20), status="partially_refunded"),  # settled
        order("RP-4", eero, "30.00", days_ago(17), refund_pending=True),
        order("RP-4", eero, "30.00", days_ago(17), refund_pending=True),  # a replay
        order("RP-5", eero, "40.00", days_ago(16), refund_pending=True),
        order("RP-5", eero, "0", days_ago(16), status="refunded"),
        order("RP-5", eero, "40.00", days_ago(16), refund_pending=True),  # stale
        order(
            "RP-6",
            aino,
            "0",
            days_ago(15),
            status="refunded",
            refunded_total=Decimal("25"),
            refund_pending=True,
        ),
        order(
            "RP-7",
            aino,
            "20.00",
            days_ago(14),
            status="partially_refunded",
            refunded_total=Decimal("5"),
            refund_pending=True,
        ),
        order("RP-8", aino, "60.00", days_ago(13), refund_pending=True),
        order("RP-8", aino, "60.00", days_ago(13)),  # the request withdrawn
    ]


@pytest.mark.parametrize("batch_size", [1000, 3, 1])
def test_refund_requests_are_stored_exactly_as_one_order_at_a_time(world, batch_size):
    requests = refund_requests()
    result = compare(requests, batch_size=batch_size, then=latest(requests))
    assert (result.created, result.updated, result.unchanged, result.stale) == (8, 4, 1, 1)
    pending = dict(
        Order.objects.filter(external_id__startswith="RP-").values_list("external_id", "refund_pending")
    )
    assert pending == {
        "RP-1": False,
        "RP-2": True,
        "RP-3": True,
        "RP-4": True,
        "RP-5": False,
        "RP-6": False,
        "RP-7": True,
        "RP-8": False,
    }
    # The file of current states again: nothing written, the flags included.
    with CaptureQueriesContext(connection) as queries:
        again = orders_import(orders=latest(requests), now=NOW)
    assert (again.unchanged, again.stale, again.created + again.updated) == (7, 1, 0)
    assert [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")] == []


@pytest.mark.parametrize(
    "rule_change",
    [
        pytest.param({"pending_days": 0}, id="points-spendable-at-once"),
        pytest.param({"daily_cap": 60}, id="daily-cap"),
        pytest.param({"active": False}, id="rule-off"),
    ],
)
def test_rule_settings_are_replayed_award_by_award(world, rule_change):
    # Approved at once, purchases count toward status during the import itself: tiers move
    # (and their multipliers change) between one order and the next.
    EarningRule.objects.filter(key="purchase").update(**rule_change)
    eero = "eero@example.com"
    orders = [
        *[
            order(f"B-{n}", eero, "260.00", days_ago(100 - n // 2), ("PLAIN-1", 13, "20.00"))
            for n in range(12)
        ],
        order("B-x", eero, "200.00", days_ago(95), status="partially_refunded", refunded_total=Decimal("60")),
        *[order(f"M-{n}", "aino@example.com", "90.00", days_ago(700 - n)) for n in range(4)],
    ]
    compare(orders, batch_size=5)


def test_a_second_import_of_the_same_file_is_all_unchanged_and_writes_nothing(world):
    orders = latest(history())
    first = orders_import(orders=orders, now=NOW)
    state = snapshot()
    with CaptureQueriesContext(connection) as queries:
        again = orders_import(orders=orders, now=NOW)
    assert again.unchanged == first.created and again.created == again.updated == again.stale == 0
    assert [external_id for external_id, _errors in again.rejected] == ["X-1", "C-2"]
    assert snapshot() == state
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_batch_rolls_back_whole_and_a_rejected_order_stops_nothing(world):
    orders = [
        order("Y-1", "aino@example.com", "10.00", days_ago(10)),
        order("Y-2", "aino@example.com", "-1.00", days_ago(10)),
        order("Y-3", "eero@example.com", "10.00", days_ago(10)),
    ]
    result = orders_import(orders=orders, now=NOW)
    assert (result.created, [external_id for external_id, _ in result.rejected]) == (2, ["Y-2"])
    assert result.rejected[0][1]["total"] == ["The total cannot be negative."]
    assert Order.objects.filter(external_id__in=["Y-1", "Y-3"]).count() == 2


def test_progress_is_reported_after_each_batch(world):
    calls = []
    orders = [order(f"Q-{n}", f"q{n}@example.com", "10.00", days_ago(10)) for n in range(5)]
    orders_import(
        orders=orders, now=NOW, batch_size=2, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_the_bulk_path_knows_every_receiver_of_order_paid():
    # The bulk runs send no order_paid: they leave out only orders its receivers ignore
    # (membership/services/order_import.py). A new receiver must be served there too.
    names = {
        f"{receiver.__module__}.{receiver.__qualname__}" for receiver in order_paid._live_receivers(Order)[0]
    }
    assert names == {
        "membership.receivers.qualify_referral_on_order",
        "membership.campaigns.lifecycle_receivers.after_purchase_on_order",
    }


# --- Queries --------------------------------------------------------------------------------


def batch(count: int, members: list[User], *, prefix: str, sku: str = "PLAIN-1") -> list[OrderData]:
    """``count`` new orders: a quarter from ``members`` in turn, the rest from strangers."""
    orders = []
    for n in range(count):
        email = members[n // 4 % len(members)].email if n % 4 == 0 else f"{prefix}{n}@shop.example"
        orders.append(order(f"{prefix}-{n}", email, "40.00", days_ago(30 + n / 10), (sku, 1, "40.00")))
    return orders


def statements(queries: CaptureQueriesContext) -> int:
    """Statements as the service writes them: SQLite caps a statement at 999 parameters, so
    Django sends one bulk insert as several in a row; those count once."""
    count, previous = 0, None
    for query in queries.captured_queries:
        sql = query["sql"]
        head = sql.split(" VALUES ")[0] if sql.startswith("INSERT") else None
        if head is None or head != previous:
            count += 1
        previous = head
    return count


def test_the_queries_of_a_batch_do_not_grow_with_its_orders(world):
    members = [make_member(f"buyer{n}") for n in range(10)]
    orders_import(orders=batch(20, members, prefix="warm"), now=NOW)  # content types cached
    with CaptureQueriesContext(connection) as hundred:
        orders_import(orders=batch(100, members, prefix="a"), now=NOW, batch_size=200)
    with CaptureQueriesContext(connection) as two_hundred:
        orders_import(orders=batch(200, members, prefix="b"), now=NOW, batch_size=200)
    assert statements(two_hundred) <= statements(hundred)


def test_a_batch_of_200_new_orders_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    members = [make_member(f"buyer{n}") for n in range(10)]
    orders_import(orders=batch(20, members, prefix="warm"), now=NOW)
    # About 34 statements for the batch: stored orders, members, referrals, whether the
    # after-purchase campaign is on, insert orders and
    # lines (SQLite splits inserts at 999 parameters), products, the points (rules, keys,
    # standings, tiers, history, insert, sums, upsert) and the badges (held, counts: Loyal's
    # active months are one more, since a purchase can make a month active), with their
    # savepoints. Each badge level awarded writes its award and notification (7 statements
    # for each of the 10 awarded here: Green Choice for 10 members).
    with django_assert_max_num_queries(34 + 7 * 10):
        result = orders_import(orders=batch(200, members, prefix="c", sku="GREEN-1"), now=NOW, batch_size=200)
    assert result.created == 200
    assert BadgeAward.objects.filter(badge="green-choice").count() == 10


def test_the_bulk_badge_counters_agree_with_the_single_ones(world):
    from django.db.models import Subquery
    from django.db.models.functions import Coalesce

    from membership.badge_registry import badge_definitions

    orders_import(orders=history(), now=NOW)
    members = list(User.objects.order_by("pk"))
    for badge in badge_definitions():
        if badge.counter_many is not None:
            many = badge.counter_many(members)
            assert {m.pk: many.get(m.pk, 0) for m in members} == {m.pk: badge.counter(m) for m in members}
            assert any(many.values()), badge.key
        if badge.count is not None:
            # What badges_evaluate reads with the levels held, in one statement.
            expressed = dict(
                User.objects.annotate(n=Coalesce(Subquery(badge.count()), 0)).values_list("pk", "n")
            )
            assert expressed == {m.pk: badge.counter(m) for m in members}, badge.key
            assert any(expressed.values()), badge.key


# --- Property ---------------------------------------------------------------------------------

EMAILS = ["aino@example.com", "EERO@example.com", "uma@example.com", "frida@example.com", "x@shop.example"]
message = st.builds(
    lambda n, email, status, cents, left, day, green, coupon, pending: order(
        f"O-{n}",
        email,
        "0"
        if status == "refunded"
        else str(Decimal(cents if status == "paid" else min(left, cents - 1)) / 100),
        days_ago(day),
        *([("GREEN-1", 1, "40.00")] if green else []),
        *([] if green or status != "paid" else [("PLAIN-1", 1, "20.00")]),
        status=status,
        coupon_code=coupon,
        refund_pending=pending,
    ),
    n=st.integers(0, 6),
    email=st.sampled_from(EMAILS),
    status=st.sampled_from(["paid", "paid", "partially_refunded", "refunded"]),
    cents=st.integers(200, 30000),
    left=st.integers(100, 29999),
    day=st.integers(0, 800),
    green=st.booleans(),
    coupon=st.sampled_from(["", "", "SPRING", "autumn"]),
    pending=st.booleans(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(message, max_size=14), batch_size=st.integers(1, 6))
def test_any_sequence_of_messages_is_stored_as_one_at_a_time(world, messages, batch_size):
    sid = transaction.savepoint()
    compare(messages, batch_size=batch_size)
    transaction.savepoint_rollback(sid)
