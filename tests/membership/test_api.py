"""The shop API: signed, JSON in and out, field errors that say where, coupons used once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from membership.models import Notification, Order, PointEntry, Redemption, Reward
from membership.services.points import points_grant
from membership.services.rewards import reward_redeem
from tests.membership.shop import (
    make_product,
    order_payload,
    post_order,
    shop_signature,
    signed_get,
    signed_post,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


# --- Signature (the scheme itself: test_api_signatures.py) ---------------------------------


def test_signed_calls_need_no_csrf_token(member):
    csrf_client = Client(enforce_csrf_checks=True)
    assert post_order(csrf_client, order_payload()).status_code == 201


# --- Malformed bodies ---------------------------------------------------------------------


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid"
    return body["errors"]


def test_missing_fields_are_named(client):
    errors = errors_of(signed_post(client, ORDERS, {"id": "1"}))
    assert set(errors) == {"email", "status", "currency", "total", "created_at", "lines"}
    assert errors["email"] == ["This field is required."]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"lines": [{"sku": "A", "quantity": -1, "price": "1.00"}]}, "lines.0.quantity", "at least 1"),
        ({"lines": [{"sku": "A", "quantity": "many", "price": "1.00"}]}, "lines.0.quantity", "whole number"),
        ({"lines": [{"sku": "A", "quantity": 1}]}, "lines.0.price", "required"),
        ({"lines": "A x 1"}, "lines", "list"),
        ({"created_at": "yesterday"}, "created_at", "ISO 8601"),
        ({"created_at": "2026-03-01T12:00:00"}, "created_at", "time zone offset"),
        ({"total": {"amount": 10}}, "total", "number"),
        ({"total": "-5.00"}, "total", "at least 0"),
        ({"total": "10.001"}, "total", "decimal places"),
        ({"status": "cancelled"}, "status", "paid"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"currency": "euro"}, "currency", "valid value"),
        ({"status": "refunded", "total": "10.00"}, "total", "refunded order's total is 0"),
        ({"lines": []}, "lines", "at least one line"),
        # JSON true or false only: a quoted or numeric flag is refused, not guessed.
        ({"refund_pending": "yes"}, "refund_pending", "true or false"),
        ({"refund_pending": "false"}, "refund_pending", "true or false"),
        ({"refund_pending": 1}, "refund_pending", "true or false"),
        ({"refund_pending": None}, "refund_pending", "true or false"),
    ],
)
def test_malformed_fields_get_readable_errors_and_nothing_is_stored(client, member, change, field, message):
    errors = errors_of(post_order(client, order_payload(**change)))
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Order.objects.exists() and not PointEntry.objects.exists()


def test_an_invalid_refund_pending_is_a_json_400_that_changes_nothing(client, member):
    post_order(client, order_payload(refund_pending=True))
    response = post_order(client, order_payload(refund_pending="no"))
    assert response["Content-Type"].startswith("application/json")
    assert errors_of(response) == {"refund_pending": ["Enter true or false."]}
    assert Order.objects.get().refund_pending is True


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"a string"'])
def test_a_body_that_is_not_a_json_object_is_refused(client, body):
    errors = errors_of(signed_post(client, ORDERS, body))
    assert list(errors) == ["body"]
    assert not Order.objects.exists()


# --- Schema, 404s, query bound ------------------------------------------------------------


def test_openapi_schema_is_served_without_signature_and_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/v1/orders/",
        "/api/v1/coupons/{code}/",
        "/api/v1/coupons/{code}/use/",
    }
    (scheme,) = schema["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Kanta-Signature")
    assert "OrderIn" in schema["components"]["schemas"]
    refund_pending = schema["components"]["schemas"]["OrderIn"]["properties"]["refund_pending"]
    assert (refund_pending["type"], refund_pending["default"]) == ("boolean", False)
    assert "settled" in refund_pending["description"]
    assert "refund_pending" not in schema["components"]["schemas"]["OrderIn"].get("required", [])
    # No Swagger page: it would load its assets from a CDN.
    assert client.get("/api/v1/docs").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing-here/", "/api/v1/orders"])
def test_unknown_api_paths_answer_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


def test_webhook_queries_do_not_grow_with_the_number_of_lines(client, member, django_assert_max_num_queries):
    plain = make_product()
    products = [make_product(sustainable=n % 2 == 0) for n in range(10)]

    def lines(items, price: str = "10.00") -> list[dict]:
        return [{"sku": p.sku, "quantity": 1, "price": price} for p in items]

    # Warm-up: content types and the like are cached after the first order.
    post_order(client, order_payload("warm-up", total="10.00", lines=lines([plain])))
    with CaptureQueriesContext(connection) as one:
        # The same total: listeners (referrals) may look at the amount, never at the lines.
        post_order(client, order_payload("one", total="100.00", lines=lines(products[:1], "100.00")))
    with CaptureQueriesContext(connection) as ten:
        post_order(client, order_payload("ten", total="100.00", lines=lines(products)))
    assert len(ten) == len(one)
    # A third green order: the badge is awarded too, still within the bound.
    with django_assert_max_num_queries(65):
        post_order(client, order_payload("again", total="100.00", lines=lines(products)))
    # A replay of the order (signed anew): 6, and 1 for the signature's seen row.
    with django_assert_max_num_queries(7):
        post_order(client, order_payload("again", total="100.00", lines=lines(products)))


# --- Coupons ------------------------------------------------------------------------------


@pytest.fixture
def coupon(member):
    product = make_product(sku="WAX-1")
    reward = Reward.objects.create(name="Free wax", kind=Reward.Kind.PRODUCT, product=product, cost=50)
    points_grant(member=member, rule_key="review", idempotency_key="coupon-test")
    return reward_redeem(member=member, reward_id=reward.pk)


def test_coupon_lookup_says_what_it_gives_and_nothing_about_the_member(client, coupon):
    response = signed_get(client, f"/api/v1/coupons/{coupon.coupon_code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == coupon.coupon_code
    assert (body["valid"], body["used"], body["used_at"]) == (True, False, None)
    assert (body["kind"], body["product_sku"], body["reward"]) == ("product", "WAX-1", "Free wax")
    # Data minimisation: the shop learns whether the coupon applies, not whose it is.
    assert set(body) == {
        "code",
        "valid",
        "used",
        "used_at",
        "reward",
        "kind",
        "value",
        "product_sku",
        "created_at",
        "expires_at",
    }
    assert body["expires_at"] is None  # bought with points: never expires
    assert "aino" not in response.content.decode()


def test_a_coupon_is_used_once_and_the_second_use_is_a_409(client, coupon):
    path = f"/api/v1/coupons/{coupon.coupon_code}/use/"
    first = signed_post(client, path)
    assert first.status_code == 200
    assert first.json()["used"] is True and first.json()["valid"] is False
    coupon.refresh_from_db()
    assert coupon.used_at is not None
    second = signed_post(client, path)
    assert second.status_code == 409
    assert second.json()["error"] == "already_used"
    assert second.json()["used_at"] is not None
    assert Redemption.objects.get().used_at == coupon.used_at
    assert Notification.objects.filter(recipient=coupon.member, kind="coupon-used").count() == 1
    assert signed_get(client, f"/api/v1/coupons/{coupon.coupon_code}/").json()["valid"] is False


def test_codes_are_matched_whatever_their_case(client, coupon):
    assert signed_get(client, f"/api/v1/coupons/{coupon.coupon_code.lower()}/").status_code == 200


def test_an_unknown_coupon_is_a_json_404(client, coupon):
    for response in (
        signed_get(client, "/api/v1/coupons/POLKU-NOPE-NOPE/"),
        signed_post(client, "/api/v1/coupons/POLKU-NOPE-NOPE/use/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_coupon_calls_are_signed_for_their_own_path(client, coupon):
    path = f"/api/v1/coupons/{coupon.coupon_code}/use/"
    for other_path in ("/api/v1/coupons/POLKU-AAAA-BBBB/use/", f"/api/v1/coupons/{coupon.coupon_code}/"):
        (header,) = shop_signature("POST", other_path).values()
        response = signed_post(client, path, signature=header)
        assert (response.status_code, response.json()["reason"]) == (401, "bad_signature")
    (get_header,) = shop_signature("GET", path).values()
    assert signed_post(client, path, signature=get_header).status_code == 401
    coupon.refresh_from_db()
    assert coupon.used_at is None
