"""The shop API: signed, JSON in and out, field errors that say where, coupons used once."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from membership.api import signature_for
from membership.models import Notification, Order, PointEntry, Redemption, Reward
from membership.services.points import points_grant
from membership.services.rewards import reward_redeem
from tests.membership.shop import make_product, order_payload, post_order, signed_get, signed_post

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


# --- Signature ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("sha256=" + "0" * 64, "wrong digest"),
        ("sha1=SIGNATURE", "wrong prefix"),
        ("SIGNATURE", "no prefix"),
        ("sha256=" + signature_for(b"another body").removeprefix("sha256="), "another body's"),
        ("sha256=WRONG-SECRET", "another secret"),
    ],
)
def test_unsigned_or_wrongly_signed_orders_are_refused_and_nothing_is_stored(client, member, header, why):
    body = json.dumps(order_payload()).encode()
    if header == "SIGNATURE":
        header = signature_for(body).removeprefix("sha256=")
    elif header == "sha1=SIGNATURE":
        header = "sha1=" + signature_for(body).removeprefix("sha256=")
    elif header == "sha256=WRONG-SECRET":
        header = signature_for(body, "another-secret-that-is-long-enough-123")
    headers = {} if header is None else {"X-Kanta-Signature": header}
    response = client.generic("POST", ORDERS, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401, why
    assert response.json()["error"] == "unauthorized"
    assert "X-Kanta-Signature" in response.json()["message"]
    assert not Order.objects.exists()


def test_a_correct_signature_is_accepted_in_either_hex_case(client, member):
    body = json.dumps(order_payload()).encode()
    upper = "sha256=" + signature_for(body).removeprefix("sha256=").upper()
    assert signed_post(client, ORDERS, body, signature=upper).status_code == 201


def test_an_empty_secret_refuses_everything(client, member, settings):
    settings.KANTA_WEBHOOK_SECRET = ""
    body = json.dumps(order_payload()).encode()
    assert signed_post(client, ORDERS, body, signature=signature_for(body, "")).status_code == 401


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
    ],
)
def test_malformed_fields_get_readable_errors_and_nothing_is_stored(client, member, change, field, message):
    errors = errors_of(post_order(client, order_payload(**change)))
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Order.objects.exists() and not PointEntry.objects.exists()


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
    with django_assert_max_num_queries(6):
        post_order(client, order_payload("again", total="100.00", lines=lines(products)))  # a replay


# --- Coupons ------------------------------------------------------------------------------


@pytest.fixture
def coupon(member):
    product = make_product(sku="WAX-1")
    reward = Reward.objects.create(name="Free wax", kind=Reward.Kind.PRODUCT, product=product, cost=50)
    points_grant(member=member, rule_key="review", idempotency_key="coupon-test")
    return reward_redeem(member=member, reward_id=reward.pk)


def test_coupon_lookup_says_what_it_gives_and_whose_it_is(client, coupon):
    response = signed_get(client, f"/api/v1/coupons/{coupon.coupon_code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == coupon.coupon_code
    assert (body["valid"], body["used"], body["used_at"]) == (True, False, None)
    assert (body["kind"], body["product_sku"], body["reward"]) == ("product", "WAX-1", "Free wax")
    assert body["member"] == {"username": "aino", "email": "aino@example.com"}


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
    assert signed_post(client, path, signature=signature_for(b"")).status_code == 401
    other = signature_for(b"/api/v1/coupons/POLKU-AAAA-BBBB/use/")
    assert signed_post(client, path, signature=other).status_code == 401
    assert (
        signed_get(client, f"/api/v1/coupons/{coupon.coupon_code}/", signature="sha256=00").status_code == 401
    )
    coupon.refresh_from_db()
    assert coupon.used_at is None
