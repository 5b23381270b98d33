"""Orders from the shop become purchase points that follow refunds, once and in proportion."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membership.models import BadgeAward, MemberStanding, Notification, Order, PointEntry, User
from membership.services.orders import LineData, OrderRejected, order_receive, orders_link_email
from membership.services.points import points_approve_due
from membership.signals import order_paid, order_refunded
from tests.factories import make_member
from tests.membership.shop import make_product, order_payload, post_order

pytestmark = pytest.mark.django_db

ORDERED = datetime.fromisoformat("2026-03-01T12:00:00+02:00")
State = PointEntry.State


def entries(order: Order, **filters) -> list[PointEntry]:
    return list(
        PointEntry.objects.filter(source_id=str(order.pk), source_type__model="order", **filters).order_by(
            "pk"
        )
    )


def net(member: User, state: str) -> int:
    return PointEntry.objects.filter(member=member, state=state).aggregate(s=Sum("amount"))["s"] or 0


def receive(order_id: str = "1001", email: str = "aino@example.com", **fields) -> Order:
    values = {
        "status": "paid",
        "currency": "EUR",
        "total": Decimal("100.00"),
        "created_at": ORDERED,
        "lines": [LineData(sku="NOPE", quantity=1, price=Decimal("100.00"))],
    }
    values.update(fields)
    return order_receive(external_id=order_id, email=email, **values).order


@pytest.fixture
def signals():
    received: list[tuple[str, dict]] = []

    def on_paid(sender, **kwargs):
        received.append(("paid", kwargs))

    def on_refunded(sender, **kwargs):
        received.append(("refunded", kwargs))

    order_paid.connect(on_paid, dispatch_uid="test-orders-paid")
    order_refunded.connect(on_refunded, dispatch_uid="test-orders-refunded")
    yield received
    order_paid.disconnect(dispatch_uid="test-orders-paid")
    order_refunded.disconnect(dispatch_uid="test-orders-refunded")


def test_a_paid_order_earns_a_point_per_whole_unit_pending_for_the_return_window(client, member, signals):
    response = post_order(
        client, order_payload(total="79.90", lines=[{"sku": "X", "quantity": 1, "price": "79.90"}])
    )
    assert response.status_code == 201
    assert response.json()["result"] == "created"
    assert response.json()["points"] == {"pending": 79, "approved": 0}
    order = Order.objects.get(external_id="1001")
    assert order.member == member and order.original_total == Decimal("79.90")
    (entry,) = entries(order)
    assert (entry.amount, entry.state, entry.rule.key) == (79, State.PENDING, "purchase")
    # The window is the order's: it starts when the order was placed, not when it arrived.
    assert entry.created_at == ORDERED
    assert entry.available_at == ORDERED + timedelta(days=14)
    assert MemberStanding.objects.get(member=member).pending_points == 79
    assert [(kind, kw["order"].pk, kw["now"]) for kind, kw in signals] == [("paid", order.pk, ORDERED)]
    assert Notification.objects.filter(
        recipient=member, kind="order-points", title__contains="79 points"
    ).exists()


def test_replaying_the_same_message_changes_nothing(client, member, signals):
    payload = order_payload()
    assert post_order(client, payload).status_code == 201
    second = post_order(client, payload)
    assert second.status_code == 200 and second.json()["result"] == "unchanged"
    assert Order.objects.count() == 1
    assert PointEntry.objects.filter(member=member, kind="earn").count() == 1
    assert len(signals) == 1


def test_partial_then_full_refund_reverses_in_proportion_while_pending(client, member, signals):
    post_order(client, order_payload())
    order = Order.objects.get()
    response = post_order(client, order_payload(status="partially_refunded", total="70.00"))
    assert response.json()["result"] == "updated"
    assert response.json()["points"] == {"pending": 70, "approved": 0}
    order.refresh_from_db()
    assert (order.status, order.total, order.original_total) == ("partially_refunded", 70, 100)
    post_order(client, order_payload(status="refunded", total="0"))
    assert net(member, State.PENDING) == 0
    assert MemberStanding.objects.get(member=member).pending_points == 0
    # Nothing is deleted: the earned row stays, corrected by reversal rows.
    assert sorted(e.amount for e in PointEntry.objects.filter(member=member)) == [-70, -30, 100]
    refunds = [(kw["fraction"], kw["order"].pk) for kind, kw in signals if kind == "refunded"]
    assert refunds == [(Decimal("0.3"), order.pk), (Decimal(1), order.pk)]


def test_refunds_after_approval_take_back_spendable_points(client, member):
    post_order(client, order_payload())
    points_approve_due(now=ORDERED + timedelta(days=15))
    assert MemberStanding.objects.get(member=member).spendable_points == 100
    post_order(client, order_payload(status="partially_refunded", total="74.50"))
    # 25.5 % refunded: 74 of the 100 points stay (a point per whole unit still paid).
    assert MemberStanding.objects.get(member=member).spendable_points == 74
    post_order(client, order_payload(status="partially_refunded", total="50.00"))
    assert MemberStanding.objects.get(member=member).spendable_points == 50
    # A late retry of an older state is acknowledged and ignored.
    stale = post_order(client, order_payload(status="partially_refunded", total="74.50"))
    assert stale.status_code == 200 and stale.json()["result"] == "stale"
    assert post_order(client, order_payload()).json()["result"] == "stale"
    assert MemberStanding.objects.get(member=member).spendable_points == 50
    post_order(client, order_payload(status="refunded", total="0"))
    assert MemberStanding.objects.get(member=member).spendable_points == 0
    reversals = PointEntry.objects.filter(member=member, kind="reversal")
    assert sorted(r.amount for r in reversals) == [-50, -26, -24]
    assert all(r.state == State.APPROVED for r in reversals)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    original=st.integers(100, 100_000),
    cuts=st.lists(st.integers(1, 10_000), min_size=1, max_size=6),
    approve_after=st.integers(0, 6),
    replay=st.booleans(),
)
def test_repeated_partial_refunds_never_over_reverse(member, original, cuts, approve_after, replay):
    """Whatever the refund sequence, the order's net points are its entries minus exactly
    their refunded share (rounded against the member), and never below zero."""
    order_id = uuid.uuid4().hex[:12]
    cents = original
    receive(order_id, total=Decimal(cents) / 100)
    order = Order.objects.get(external_id=order_id)
    earned = entries(order, kind="earn")
    for step, cut in enumerate(cuts):
        if step == approve_after:
            points_approve_due(now=ORDERED + timedelta(days=15))
        cents = max(1, cents - cut)
        for _ in range(2 if replay else 1):
            receive(order_id, status="partially_refunded", total=Decimal(cents) / 100)
        share = (Decimal(original) - cents) / Decimal(original)
        kept = sum(e.amount for e in entries(order) if e.state != State.REVERSED)
        assert kept == sum(e.amount - min(e.amount, math.ceil(e.amount * share)) for e in earned)
        assert kept >= 0


def test_sustainable_lines_earn_half_a_point_more_per_unit(client, member):
    green = make_product(price="40.00", sustainable=True)
    plain = make_product(price="20.00")
    lines = [
        {"sku": green.sku, "quantity": 2, "price": "40.00"},
        {"sku": plain.sku, "quantity": 1, "price": "20.00"},
    ]
    post_order(client, order_payload(lines=lines))
    order = Order.objects.get()
    assert [(line.product, line.is_sustainable) for line in order.lines.all()] == [
        (green, True),
        (plain, False),
    ]
    assert {e.rule.key: e.amount for e in entries(order)} == {"purchase": 100, "purchase-sustainable": 40}
    # The bonus is on what was paid: a 10 % discount lowers it too.
    post_order(client, order_payload("1002", total="90.00", lines=lines))
    discounted = Order.objects.get(external_id="1002")
    assert {e.rule.key: e.amount for e in entries(discounted)} == {"purchase": 90, "purchase-sustainable": 36}
    # A refund takes back the same share of both.
    post_order(client, order_payload(status="partially_refunded", total="50.00", lines=lines))
    assert order_points_net(order) == {"purchase": 50, "purchase-sustainable": 20}


def order_points_net(order: Order) -> dict[str, int]:
    result: dict[str, int] = {}
    for entry in PointEntry.objects.filter(source_id=str(order.pk), source_type__model="order").exclude(
        state=State.REVERSED
    ):
        result[entry.rule.key] = result.get(entry.rule.key, 0) + entry.amount
    return result


def test_the_sustainable_snapshot_does_not_follow_later_catalogue_changes(member):
    green = make_product(sustainable=True)
    receive(lines=[LineData(sku=green.sku, quantity=1, price=Decimal("100.00"))])
    green.is_sustainable = False
    green.save()
    assert Order.objects.get().lines.get().is_sustainable is True


def test_unknown_email_waits_and_is_linked_with_its_points_when_verified(client, signals):
    post_order(client, order_payload("A-1", email="Helmi@Example.com"))
    post_order(client, order_payload("A-2", email="helmi@example.com", total="60.00"))
    post_order(
        client, order_payload("A-2", email="helmi@example.com", status="partially_refunded", total="30.00")
    )
    post_order(client, order_payload("A-3", email="HELMI@example.com", total="40.00"))
    post_order(client, order_payload("A-3", email="HELMI@example.com", status="refunded", total="0"))
    assert not Order.objects.exclude(member=None).exists()
    assert not PointEntry.objects.exists() and signals == []

    client.post(
        reverse("account_signup"),
        {
            "email": "helmi@EXAMPLE.com",
            "username": "helmi",
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
    )
    helmi = User.objects.get(username="helmi")
    # Signed up but not verified: an address anyone can type collects nothing yet.
    assert not Order.objects.filter(member=helmi).exists()
    confirm_path = next(line for line in mail.outbox[-1].body.split() if "/accounts/" in line)
    client.post(confirm_path[confirm_path.index("/accounts/") :])

    assert set(Order.objects.filter(member=helmi).values_list("external_id", flat=True)) == {
        "A-1",
        "A-2",
        "A-3",
    }
    a1, a2 = Order.objects.get(external_id="A-1"), Order.objects.get(external_id="A-2")
    assert entries(a1)[0].created_at == ORDERED  # dated by the order, so its window is long over
    assert order_points_net(a1) == {"purchase": 100}
    assert order_points_net(a2) == {"purchase": 30}  # earned on 60, half refunded
    assert order_points_net(Order.objects.get(external_id="A-3")) == {}  # refunded before it counted
    assert points_approve_due() >= 1
    assert MemberStanding.objects.get(member=helmi).spendable_points == 20 + 130
    assert [kind for kind, _kw in signals] == ["paid", "paid", "refunded"]
    assert Notification.objects.filter(
        recipient=helmi, kind="order-points", title__contains="130 points"
    ).exists()
    # Linking again (a second confirmation of the same address) finds nothing new.
    assert orders_link_email(member=helmi, email="helmi@example.com") == []


def test_an_order_arriving_for_a_verified_member_is_linked_at_once_but_not_for_an_unverified_one(client):
    verified = make_member("liisa", email="liisa@example.com")
    make_member("mikko", email="mikko@example.com", verified=False)
    post_order(client, order_payload("L-1", email="LIISA@example.com"))
    post_order(client, order_payload("M-1", email="mikko@example.com"))
    assert Order.objects.get(external_id="L-1").member == verified
    assert Order.objects.get(external_id="M-1").member is None


def test_a_refund_for_an_order_never_seen_paid_is_stored_without_points(client, member, signals):
    response = post_order(
        client, order_payload(status="partially_refunded", total="60.00", refunded_total="40.00")
    )
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.earns_points, order.original_total, order.member) == (False, 100, member)
    assert not PointEntry.objects.filter(member=member).exists()
    post_order(client, order_payload(status="refunded", total="0"))
    assert not PointEntry.objects.filter(member=member).exists() and signals == []


def test_a_paid_message_overtaken_by_its_refund_still_counts_when_it_arrives(client, member, signals):
    post_order(client, order_payload(status="partially_refunded", total="60.00", refunded_total="40.00"))
    response = post_order(client, order_payload())
    assert response.json()["result"] == "updated"
    order = Order.objects.get()
    assert (order.earns_points, order.status, order.total) == (True, "partially_refunded", 60)
    assert order_points_net(order) == {"purchase": 60}
    assert [kind for kind, _kw in signals] == ["paid", "refunded"]


def test_refund_pending_is_set_by_the_webhook_and_cleared_by_a_later_message(client, member, signals):
    def flag() -> bool:
        return Order.objects.get().refund_pending

    assert post_order(client, order_payload(refund_pending=True)).status_code == 201
    assert flag() is True
    # A replay with the flag is unchanged; one that only withdraws the request is not.
    assert post_order(client, order_payload(refund_pending=True)).json()["result"] == "unchanged"
    withdrawn = post_order(client, order_payload())
    assert withdrawn.json()["result"] == "updated" and flag() is False
    assert post_order(client, order_payload(refund_pending=False)).json()["result"] == "unchanged"
    again = post_order(client, order_payload(refund_pending=True))
    assert again.json()["result"] == "updated" and flag() is True
    # The flag alone moves no points and tells no listener of a refund.
    assert again.json()["points"] == {"pending": 100, "approved": 0}
    assert [kind for kind, _kw in signals] == ["paid"]
    # The refund applied: the message without the flag settles it.
    settled = post_order(client, order_payload(status="partially_refunded", total="70.00"))
    assert settled.json()["result"] == "updated" and flag() is False
    assert settled.json()["points"] == {"pending": 70, "approved": 0}
    # A late retry of the older message is stale and does not bring the flag back.
    assert post_order(client, order_payload(refund_pending=True)).json()["result"] == "stale"
    assert flag() is False
    # Another refund requested on what is left, then the rest refunded: never pending after.
    assert (
        post_order(
            client, order_payload(status="partially_refunded", total="70.00", refund_pending=True)
        ).json()["result"]
        == "updated"
    )
    assert flag() is True
    post_order(client, order_payload(status="refunded", total="0", refund_pending=True))
    order = Order.objects.get()
    assert (order.status, order.refund_pending) == ("refunded", False)
    assert [kind for kind, _kw in signals] == ["paid", "refunded", "refunded"]


def test_a_flag_only_change_on_a_refunded_share_sends_no_second_refund(member, signals):
    receive(status="paid")
    receive(status="partially_refunded", total=Decimal("60.00"))
    reversals = PointEntry.objects.filter(member=member, kind=PointEntry.Kind.REVERSAL).count()
    receipt = order_receive(
        external_id="1001",
        email="aino@example.com",
        status="partially_refunded",
        currency="EUR",
        total=Decimal("60.00"),
        created_at=ORDERED,
        lines=[],
        refund_pending=True,
    )
    assert (receipt.result, receipt.order.refund_pending) == ("updated", True)
    assert PointEntry.objects.filter(member=member, kind=PointEntry.Kind.REVERSAL).count() == reversals
    assert [kind for kind, _kw in signals] == ["paid", "refunded"]


def test_refund_pending_on_a_first_message_and_on_an_order_waiting_for_its_member(client, member):
    # A first message already refunded in part, with more requested: pending.
    post_order(
        client,
        order_payload(
            "W-1", status="partially_refunded", total="60.00", refunded_total="40.00", refund_pending=True
        ),
    )
    # Its paid message arrives late (older news than the refund): the flag stays.
    assert post_order(client, order_payload("W-1")).json()["result"] == "updated"
    assert Order.objects.get(external_id="W-1").refund_pending is True
    # A first message already refunded in full is never pending.
    post_order(client, order_payload("W-2", status="refunded", total="0", refund_pending=True))
    assert Order.objects.get(external_id="W-2").refund_pending is False
    # An unlinked order keeps its flag; linking it does not touch it.
    post_order(client, order_payload("W-3", email="later@example.com", refund_pending=True))
    assert Order.objects.get(external_id="W-3").refund_pending is True
    later = make_member("later", email="later@example.com")
    orders_link_email(member=later, email="later@example.com")
    order = Order.objects.get(external_id="W-3")
    assert (order.member, order.refund_pending) == (later, True)


def test_messages_that_contradict_themselves_or_the_order_are_rejected(member):
    with pytest.raises(OrderRejected) as refunded:
        receive(status="refunded", total=Decimal("10.00"))
    assert "total" in refunded.value.errors
    with pytest.raises(OrderRejected) as empty:
        receive(lines=[])
    assert "lines" in empty.value.errors
    receive()
    with pytest.raises(OrderRejected) as currency:
        receive(currency="SEK", status="partially_refunded", total=Decimal("50.00"))
    assert "EUR" in currency.value.errors["currency"][0]
    assert Order.objects.get().total == 100


def test_an_order_dated_in_the_future_earns_from_now(member):
    now = timezone.now()
    receive(created_at=now + timedelta(days=2), now=now)
    (entry,) = entries(Order.objects.get())
    assert entry.created_at == now and entry.available_at == now + timedelta(days=14)


def test_green_choice_badge_counts_paid_orders_with_a_sustainable_line(member):
    green = make_product(sustainable=True)
    lines = [LineData(sku=green.sku, quantity=1, price=Decimal("20.00"))]
    receive("G-1", lines=lines, total=Decimal("20.00"))
    receive("G-2", lines=lines, total=Decimal("20.00"))
    receive("G-2", lines=lines, total=Decimal("0"), status="refunded")
    receive("G-3", lines=lines, total=Decimal("20.00"))
    receive("G-4", total=Decimal("20.00"), lines=[LineData(sku="PLAIN", quantity=1, price=Decimal("20.00"))])
    assert not BadgeAward.objects.filter(member=member, badge="green-choice").exists()
    receive("G-5", lines=lines, total=Decimal("20.00"))
    assert BadgeAward.objects.filter(member=member, badge="green-choice", level=1).exists()
    assert Notification.objects.filter(
        recipient=member, kind="badge-awarded", title__contains="Green Choice"
    ).exists()
