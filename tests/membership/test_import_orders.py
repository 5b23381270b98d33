"""import_orders: history through the webhook's service, with a rejects report; re-runnable."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from membership.models import MemberStanding, Notification, Order, PointEntry
from membership.services.orders import LineData, order_receive
from tests.membership.shop import make_product

pytestmark = pytest.mark.django_db

HEADER = "order_id,email,status,currency,total,created_at,sku,quantity,price,referral_code\n"


def run(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def history(tmp_path, member):
    green = make_product(sku="GREEN-1", sustainable=True)
    old = (timezone.now() - timedelta(days=400)).isoformat()
    recent = (timezone.now() - timedelta(days=2)).isoformat()
    rows = [
        # A two-line paid order a year ago, one line sustainable.
        f"H-1,aino@example.com,paid,EUR,120.00,{old},{green.sku},2,40.00,",
        f"H-1,aino@example.com,paid,EUR,120.00,{old},PLAIN-9,1,40.00,",
        # A recent order, still in its return window.
        f"H-2,AINO@example.com,paid,EUR,35.50,{recent},PLAIN-9,1,35.50,",
        # Refunded before we ever saw it paid: kept, earns nothing.
        f"H-3,aino@example.com,refunded,EUR,0,{old},,,,",
        # A customer with no account yet.
        f"H-4,newcomer@example.com,paid,EUR,20.00,{old},PLAIN-9,1,20.00,",
        # Rejected: negative quantity on its second row.
        f"BAD-1,aino@example.com,paid,EUR,10.00,{old},PLAIN-9,1,10.00,",
        f"BAD-1,aino@example.com,paid,EUR,10.00,{old},PLAIN-8,-2,5.00,",
        # Rejected: a date without a time zone, and rows that disagree.
        "BAD-2,aino@example.com,paid,EUR,10.00,2025-01-05T10:00:00,PLAIN-9,1,10.00,",
        f"BAD-3,aino@example.com,paid,EUR,10.00,{old},PLAIN-9,1,10.00,",
        f"BAD-3,aino@example.com,refunded,EUR,10.00,{old},PLAIN-9,1,10.00,",
    ]
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_history_is_imported_with_points_and_a_rejects_report(history, member):
    out, err = run(history)
    assert "7 orders in 10 rows: 4 created, 0 updated, 0 unchanged, 0 stale, 3 rejected (5 rows)." in out
    assert "10 orders" not in err and "7/7 orders" in err  # the progress line
    assert set(Order.objects.values_list("external_id", flat=True)) == {"H-1", "H-2", "H-3", "H-4"}
    h1 = Order.objects.get(external_id="H-1")
    assert h1.member == member and h1.lines.count() == 2
    # A year-old order's return window is long over: approved at the end of the import.
    assert {e.rule.key: (e.amount, e.state) for e in PointEntry.objects.filter(source_id=str(h1.pk))} == {
        "purchase": (120, "approved"),
        "purchase-sustainable": (40, "approved"),
    }
    standing = MemberStanding.objects.get(member=member)
    assert (standing.spendable_points, standing.pending_points) == (160, 35)
    assert Order.objects.get(external_id="H-3").earns_points is False
    assert Order.objects.get(external_id="H-4").member is None
    # History makes no noise: no "points for your order" notifications.
    assert not Notification.objects.filter(kind="order-points").exists()

    rejects = history.parent / "orders.csv.rejects.csv"
    assert str(rejects) in out
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["line"], r["order_id"]) for r in rows] == [
        ("7", "BAD-1"),
        ("8", "BAD-1"),
        ("9", "BAD-2"),
        ("10", "BAD-3"),
        ("11", "BAD-3"),
    ]
    reasons = {r["order_id"]: r["reason"] for r in rows}
    assert "quantity (line 8): Ensure this value is at least 1." in reasons["BAD-1"]
    assert "created_at: Include the time zone offset" in reasons["BAD-2"]
    assert "disagree on: status" in reasons["BAD-3"]


def test_a_second_run_changes_nothing(history, member):
    run(history)
    entries = PointEntry.objects.count()
    out, _err = run(history)
    assert "0 created, 0 updated, 4 unchanged, 0 stale, 3 rejected" in out
    assert PointEntry.objects.count() == entries and Order.objects.count() == 4


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id,amount\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Missing column"):
        run(path)


def test_rejects_path_can_be_chosen(history, tmp_path):
    target = tmp_path / "elsewhere.csv"
    out = io.StringIO()
    call_command("import_orders", str(history), rejects=str(target), stdout=out, stderr=io.StringIO())
    assert target.exists() and str(target) in out.getvalue()


def test_the_coupon_code_column_is_optional_and_checked_like_the_webhook(tmp_path, member):
    when = (timezone.now() - timedelta(days=30)).isoformat()
    rows = [
        "order_id,email,status,currency,total,created_at,sku,quantity,price,coupon_code",
        f"K-1,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,polku-abcd-efgh",
        f"K-2,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,NOT A CODE",
        f"K-3,newcomer@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,",
    ]
    path = tmp_path / "coupons.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out, _err = run(path)
    assert "3 orders in 3 rows: 2 created, 0 updated, 0 unchanged, 0 stale, 1 rejected (1 rows)." in out
    assert dict(Order.objects.values_list("external_id", "coupon_code")) == {
        "K-1": "POLKU-ABCD-EFGH",
        "K-3": "",
    }
    (rejected,) = csv.DictReader((tmp_path / "coupons.csv.rejects.csv").open(encoding="utf-8"))
    assert rejected["order_id"] == "K-2"
    assert rejected["reason"].startswith("coupon_code: A coupon code holds only the letters A to Z")


def test_an_order_that_contradicts_the_stored_one_is_rejected_with_its_lines(history, member):
    run(history)
    changed = history.read_text(encoding="utf-8").replace(
        "H-1,aino@example.com,paid,EUR", "H-1,aino@example.com,paid,SEK"
    )
    history.write_text(changed, encoding="utf-8")
    out, _err = run(history)
    assert "0 created, 0 updated, 3 unchanged, 0 stale, 4 rejected (7 rows)." in out
    rows = list(csv.DictReader((history.parent / "orders.csv.rejects.csv").open(encoding="utf-8")))
    reasons = {(r["line"], r["order_id"]): r["reason"] for r in rows}
    assert reasons[("2", "H-1")] == reasons[("3", "H-1")] == "currency: This order was paid in EUR."


def test_the_batch_size_changes_the_transactions_not_the_result(history, member):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(history), batch_size=2, stdout=out, stderr=err)
    assert "4 created, 0 updated, 0 unchanged, 0 stale, 3 rejected (5 rows)." in out.getvalue()
    assert [line.split("] ")[1] for line in err.getvalue().splitlines()] == [
        "2/7 orders",
        "4/7 orders",
        "6/7 orders",
        "7/7 orders",
    ]
    assert MemberStanding.objects.get(member=member).spendable_points == 160
    with pytest.raises(CommandError, match="at least 1"):
        call_command("import_orders", str(history), batch_size=0, stdout=out, stderr=err)


def test_the_refund_pending_column_is_optional_and_read_as_yes_or_no(tmp_path, member):
    when = (timezone.now() - timedelta(days=30)).isoformat()
    header = "order_id,email,status,currency,total,created_at,sku,quantity,price,refund_pending"
    rows = [
        f"F-1,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,true",
        f"F-2,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,YES",
        f"F-3,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,1",
        f"F-4,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,false",
        f"F-5,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,no",
        f"F-6,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,0",
        f"F-7,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,",
        f"F-8,aino@example.com,paid,EUR,10.00,{when},PLAIN-9,1,10.00,maybe",
        # Rows of one order must agree on it, as on every order field.
        f"F-9,aino@example.com,paid,EUR,20.00,{when},PLAIN-9,1,10.00,yes",
        f"F-9,aino@example.com,paid,EUR,20.00,{when},PLAIN-8,1,10.00,no",
    ]
    path = tmp_path / "pending.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    out, _err = run(path)
    assert "9 orders in 10 rows: 7 created, 0 updated, 0 unchanged, 0 stale, 2 rejected (3 rows)." in out
    assert dict(Order.objects.values_list("external_id", "refund_pending")) == {
        "F-1": True,
        "F-2": True,
        "F-3": True,
        "F-4": False,
        "F-5": False,
        "F-6": False,
        "F-7": False,
    }
    reasons = {
        r["order_id"]: r["reason"]
        for r in csv.DictReader((tmp_path / "pending.csv.rejects.csv").open(encoding="utf-8"))
    }
    assert reasons == {
        "F-8": "refund_pending: Enter true or false.",
        "F-9": "The order's rows disagree on: refund_pending.",
    }

    # The refund settled: the next file says no, and the flag is cleared.
    path.write_text(
        f"{header}\nF-1,aino@example.com,partially_refunded,EUR,5.00,{when},PLAIN-9,1,10.00,no\n",
        encoding="utf-8",
    )
    out, _err = run(path)
    assert "1 created" not in out and "1 updated" in out
    assert Order.objects.get(external_id="F-1").refund_pending is False


def test_a_file_without_the_refund_pending_column_says_no_refund_is_pending(history, member):
    run(history)
    h2 = Order.objects.get(external_id="H-2")
    line = LineData(sku="PLAIN-9", quantity=1, price=h2.total)
    order_receive(
        external_id="H-2",
        email=h2.email,
        status="paid",
        currency="EUR",
        total=h2.total,
        created_at=h2.created_at,
        lines=[line],
        refund_pending=True,
    )
    out, _err = run(history)
    # Without the column every order says "not pending": H-2 is updated, the rest unchanged.
    assert "0 created, 1 updated, 3 unchanged, 0 stale, 3 rejected" in out
    assert Order.objects.get(external_id="H-2").refund_pending is False
