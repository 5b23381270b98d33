"""Gifted coupons through the shop's coupon API (docs/api.md): `expires_at` in every answer,
and an expired coupon refused with a JSON 409."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from membership.campaigns.gifts import gift_reward
from membership.models import Redemption, Reward
from tests.factories import make_member
from tests.membership.shop import signed_get, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def reward():
    return Reward.objects.create(name="Free shipping", kind=Reward.Kind.SHIPPING, value=Decimal(0), cost=300)


def test_a_gifted_coupon_shows_its_expiry_and_is_used_before_it(client, reward):
    gift = gift_reward(
        member=make_member("aino"),
        reward=reward,
        reason="Welcome",
        author=None,
        idempotency_key="api-1",
        now=timezone.now().replace(microsecond=0),  # the API answers in milliseconds
    )
    code = gift.redemption.coupon_code
    body = signed_get(client, f"/api/v1/coupons/{code}/").json()
    assert body["valid"] is True
    assert parse_datetime(body["expires_at"]) == gift.redemption.expires_at
    used = signed_post(client, f"/api/v1/coupons/{code}/use/")
    assert used.status_code == 200
    assert used.json()["used"] is True and parse_datetime(used.json()["expires_at"]) is not None


def test_an_expired_coupon_is_refused_through_the_api_with_a_json_409(client, reward):
    given = timezone.now().replace(microsecond=0) - timedelta(days=31)
    gift = gift_reward(
        member=make_member("aino"),
        reward=reward,
        reason="Welcome",
        author=None,
        idempotency_key="api-2",
        valid_days=30,
        now=given,
    )
    code = gift.redemption.coupon_code
    lookup = signed_get(client, f"/api/v1/coupons/{code}/")
    assert lookup.status_code == 200
    assert lookup.json()["valid"] is False and lookup.json()["used"] is False
    response = signed_post(client, f"/api/v1/coupons/{code}/use/")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    expires = gift.redemption.expires_at
    assert body["error"] == "expired"
    assert body["message"] == f"This coupon expired on {timezone.localdate(expires).isoformat()}."
    assert parse_datetime(body["expires_at"]) == expires
    assert Redemption.objects.get().used_at is None


def test_the_openapi_schema_documents_expires_at(client):
    schema = client.get("/api/v1/openapi.json").json()
    coupon = schema["components"]["schemas"]["CouponOut"]
    assert "expires_at" in coupon["properties"]
    assert "expires_at" in schema["components"]["schemas"]["ErrorOut"]["properties"]
