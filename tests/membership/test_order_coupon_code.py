"""Orders carry the coupon code the customer used: sent by the shop, stored upper case with
the order's first message, never changed by a later one; a bad code is a field error."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from membership.models import Order, PointEntry
from membership.services.orders import LineData, OrderRejected, order_receive
from tests.membership.shop import order_payload, post_order

pytestmark = pytest.mark.django_db


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid"
    return response.json()["errors"]


def test_the_coupon_code_is_stored_upper_case_with_the_order(client, member):
    response = post_order(client, order_payload(coupon_code="  polku-abcd-efgh "))
    assert response.status_code == 201
    assert Order.objects.get().coupon_code == "POLKU-ABCD-EFGH"


def test_an_order_without_a_coupon_stores_none(client, member):
    assert post_order(client, order_payload()).status_code == 201
    assert Order.objects.get().coupon_code == ""


def test_later_messages_may_repeat_the_code_in_any_case_or_leave_it_out(client, member):
    post_order(client, order_payload(coupon_code="POLKU-ABCD-EFGH"))
    refund = post_order(client, order_payload(status="partially_refunded", total="60.00"))
    assert refund.status_code == 200 and refund.json()["result"] == "updated"
    again = post_order(client, order_payload(status="refunded", total="0", coupon_code="polku-abcd-efgh"))
    assert again.json()["result"] == "updated"
    assert Order.objects.get().coupon_code == "POLKU-ABCD-EFGH"


def test_a_later_message_with_another_code_is_rejected_and_changes_nothing(client, member):
    post_order(client, order_payload(coupon_code="SPRING-26"))
    errors = errors_of(
        post_order(client, order_payload(status="partially_refunded", total="60.00", coupon_code="AUTUMN"))
    )
    assert errors == {"coupon_code": ["This order was reported with the coupon code SPRING-26."]}
    order = Order.objects.get()
    assert (order.status, order.total, order.coupon_code) == ("paid", Decimal("100.00"), "SPRING-26")
    assert not PointEntry.objects.filter(kind="reversal").exists()


def test_a_code_added_by_a_later_message_is_rejected(client, member):
    post_order(client, order_payload())
    errors = errors_of(post_order(client, order_payload(coupon_code="SPRING-26")))
    assert errors == {"coupon_code": ["This order was reported without a coupon code."]}
    assert Order.objects.get().coupon_code == ""


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("P" * 33, "Use at most 32 characters."),
        ("SPRING 26", "only the letters A to Z, digits, hyphens and underscores"),
        ("50%OFF", "only the letters A to Z, digits, hyphens and underscores"),
        ("KEVÄT", "only the letters A to Z, digits, hyphens and underscores"),
        ("SPRING\x0026", "control characters"),
        (26, "Enter text."),
    ],
)
def test_a_bad_code_is_a_field_error_and_nothing_is_stored(client, member, code, message):
    errors = errors_of(post_order(client, order_payload(coupon_code=code)))
    assert list(errors) == ["coupon_code"]
    assert message in " ".join(errors["coupon_code"])
    assert not Order.objects.exists()


def test_the_service_checks_the_code_too():
    with pytest.raises(OrderRejected) as rejected:
        order_receive(
            external_id="S-1",
            email="someone@example.com",
            status="paid",
            currency="EUR",
            total=Decimal("10.00"),
            created_at=datetime.fromisoformat("2026-03-01T12:00:00+02:00"),
            lines=[LineData(sku="X", quantity=1, price=Decimal("10.00"))],
            coupon_code="not a code",
        )
    assert list(rejected.value.errors) == ["coupon_code"]
    assert not Order.objects.exists()


def test_the_schema_documents_the_field(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["OrderIn"]
    field = schema["properties"]["coupon_code"]
    assert field["maxLength"] == 32 and field["default"] == ""
    assert "coupon_code" not in schema.get("required", [])
    assert "coupon" in field["description"]
