"""The loyalty widget's API, ``/api/v1/widget/loyalty/…`` (membership/shops/loyalty_widget.py):
the shop's signed customer for five minutes, from listed storefronts only, a token that shows
its own customer and nobody else, one-click join, and redeeming with /rewards/' rules."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core import signing

from membership.models import Notification, Order, Redemption, Reward, ShopConnection, User
from membership.services.points import points_adjust
from membership.shops.loyalty_widget import customer_signature
from tests.factories import make_member

SHOP = "https://shop.example.com"
ENV_SHOP = "https://env-shop.example.com"
SECRET = "w" * 40
ENV_SECRET = "e" * 40


@pytest.fixture(autouse=True)
def storefronts(db, settings):
    settings.KANTA_STOREFRONT_ORIGINS = [ENV_SHOP]
    settings.KANTA_LOYALTY_WIDGET_SECRET = ENV_SECRET
    return ShopConnection.objects.create(
        platform="shopify",
        name="Polku",
        shop_domain="polku.myshopify.com",
        webhook_secret="s" * 32,
        storefront_origins=SHOP,
        widget_secret=SECRET,
    )


def post(client, path, body=None, *, origin=SHOP, token="", **extra):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        f"/api/v1/widget/loyalty/{path}",
        json.dumps(body or {}),
        content_type="application/json",
        **headers,
        **extra,
    )


def signed(email, *, secret=SECRET, at=None):
    at = int(time.time()) if at is None else at
    return {
        "email": email,
        "timestamp": str(at),
        "signature": customer_signature(secret=secret, email=email, timestamp=at),
    }


@pytest.fixture
def reward(db):
    return Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=100)


@pytest.fixture
def rich(member):
    points_adjust(member=member, amount=500, reason="balance", actor=make_member("staff"))
    return member


def test_a_visitor_gets_the_programme_and_an_invitation(client, reward):
    response = post(client, "session/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert (data["token"], data["member"], data["customer"]["state"]) == ("", None, "visitor")
    assert data["rewards"][0]["name"] == "10 € off"
    assert data["rewards"][0]["available"] is False and data["rewards"][0]["blocked"] == "Join to redeem."
    assert data["programme"]["join_url"] == "http://testserver/accounts/signup/"
    assert data["labels"]["launcher"] == "Rewards"


def test_a_page_not_listed_gets_403_and_no_cors_header(client):
    for origin in ["https://evil.example.com", ""]:
        response = post(client, "session/", origin=origin)
        assert response.status_code == 403
        assert response.json()["error"] == "origin"
        assert "Access-Control-Allow-Origin" not in response


def test_the_preflight_allows_the_token_header_for_listed_pages_only(client):
    response = client.options("/api/v1/widget/loyalty/session/", HTTP_ORIGIN=SHOP)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert (
        client.options("/api/v1/widget/loyalty/session/", HTTP_ORIGIN="https://evil.example.com").status_code
        == 403
    )


def test_the_shops_signed_member_sees_their_points_tier_referral_and_coupons(client, rich, reward):
    response = post(client, "session/", signed(rich.email))
    assert response.status_code == 200
    data = response.json()
    assert data["token"]
    member = data["member"]
    assert (member["name"], member["points"], member["points_label"]) == ("Aino Virtanen", 500, "500 points")
    assert member["referral_url"].startswith("http://testserver/r/")
    assert data["customer"] == {"state": "member", "email": rich.email}
    assert (
        data["rewards"][0]["available"] is True and data["rewards"][0]["balance_after_label"] == "400 points"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"signature": "0" * 64}, "bad_signature"),
        ({"email": "someone.else@example.com"}, "bad_signature"),
        ({"timestamp": str(int(time.time()) - 301)}, "bad_signature"),  # signed for another moment
    ],
)
def test_a_signature_that_does_not_hold_is_401(client, member, change, error):
    body = {**signed(member.email), **change}
    response = post(client, "session/", body)
    assert response.status_code == 401
    assert response.json()["error"] == error


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_signature_older_or_newer_than_five_minutes_is_401(client, member, offset):
    response = post(client, "session/", signed(member.email, at=int(time.time()) + offset))
    assert response.status_code == 401 and response.json()["error"] == "expired"
    assert post(client, "session/", signed(member.email, at=int(time.time()) - 290)).status_code == 200


def test_each_storefront_uses_its_own_secret(client, member):
    assert post(client, "session/", signed(member.email, secret=ENV_SECRET)).status_code == 401
    assert (
        post(client, "session/", signed(member.email, secret=ENV_SECRET), origin=ENV_SHOP).status_code == 200
    )
    assert post(client, "session/", signed(member.email), origin=ENV_SHOP).status_code == 401


def test_a_token_shows_its_own_customer_only_and_only_on_its_site(client, rich, other_member):
    token = post(client, "session/", signed(rich.email)).json()["token"]
    # Naming someone else in the body changes nothing: the token says who.
    data = post(client, "state/", {"email": other_member.email}, token=token).json()
    assert data["member"]["name"] == "Aino Virtanen"
    assert post(client, "state/", origin=ENV_SHOP, token=token).json()["error"] == "bad_token"
    forged = signing.dumps({"e": other_member.email, "o": SHOP}, salt="another-salt")
    assert post(client, "state/", token=forged).status_code == 401
    assert post(client, "state/", token=token[:-2] + "xx").status_code == 401
    # No token: a visitor.
    assert post(client, "state/").json()["member"] is None


def test_an_expired_token_is_401(client, member, time_machine):
    time_machine.move_to(time.time(), tick=False)
    token = post(client, "session/", signed(member.email)).json()["token"]
    time_machine.shift(3601)
    response = post(client, "state/", token=token)
    assert response.status_code == 401 and response.json()["error"] == "token_expired"


def test_one_click_join_makes_a_member_with_the_shops_address_and_its_orders(client, reward):
    from tests.membership.shop import order_payload, post_order

    email = "new.customer@example.com"
    assert post_order(client, order_payload(email=email)).status_code in {200, 201}
    session = post(client, "session/", signed(email)).json()
    assert session["customer"] == {"state": "joinable", "email": email}
    assert session["labels"]["join_with"] == f"Join with {email}"

    response = post(client, "join/", token=session["token"])
    assert response.status_code == 200
    member = User.objects.get(email=email)
    assert EmailAddress.objects.get(user=member).verified is True
    assert not member.has_usable_password()
    assert Order.objects.get(email=email).member == member
    data = response.json()
    assert data["member"]["points"] >= 20  # the verified sign-up's points
    assert data["customer"]["state"] == "member"
    # Again (a double click): the same member, no second account.
    assert post(client, "join/", token=session["token"]).status_code == 200
    assert User.objects.filter(email=email).count() == 1


def test_join_needs_the_shops_customer_and_refuses_an_unconfirmed_account(client):
    assert post(client, "join/").json()["error"] == "no_customer"
    make_member("waiting", email="waiting@example.com", verified=False)
    session = post(client, "session/", signed("waiting@example.com")).json()
    assert session["customer"]["state"] == "unverified" and session["member"] is None
    response = post(client, "join/", token=session["token"])
    assert response.status_code == 409 and response.json()["error"] == "unverified"


def test_redeeming_follows_the_rewards_rules_and_a_replayed_key_buys_once(client, rich, reward):
    token = post(client, "session/", signed(rich.email)).json()["token"]
    body = {"reward": reward.pk, "key": "k" * 24}
    response = post(client, "redeem/", body, token=token)
    assert response.status_code == 200
    data = response.json()
    redemption = Redemption.objects.get(member=rich)
    assert data["redeemed"]["code"] == redemption.coupon_code
    assert data["redeemed"]["message"] == f"Redeemed: 10 € off. Your coupon code is {redemption.coupon_code}."
    assert data["member"]["points"] == 400
    assert data["member"]["coupons"][0]["code"] == redemption.coupon_code
    assert post(client, "redeem/", body, token=token).json()["member"]["points"] == 400
    assert Redemption.objects.filter(member=rich).count() == 1
    assert Notification.objects.filter(recipient=rich, kind="reward-redeemed").count() == 1


def test_redeeming_refusals_are_json_with_the_reason(client, member, reward):
    token = post(client, "session/", signed(member.email)).json()["token"]
    short = post(client, "redeem/", {"reward": reward.pk, "key": "k" * 24}, token=token)
    assert short.status_code == 409 and short.json()["error"] == "unavailable"
    assert "points" in short.json()["message"]
    assert post(client, "redeem/", {"reward": reward.pk, "key": "bad key!"}, token=token).status_code == 400
    assert post(client, "redeem/", {"reward": "x", "key": "k" * 24}, token=token).status_code == 400
    assert post(client, "redeem/", {"reward": reward.pk, "key": "k" * 24}).json()["error"] == "not_member"
    assert not Redemption.objects.exists()


def test_a_body_that_is_not_a_json_object_is_400(client):
    response = client.post(
        "/api/v1/widget/loyalty/session/", "[1]", content_type="application/json", HTTP_ORIGIN=SHOP
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid"
    response = client.post(
        "/api/v1/widget/loyalty/session/", "{", content_type="application/json", HTTP_ORIGIN=SHOP
    )
    assert response.status_code == 400
    assert client.get("/api/v1/widget/loyalty/session/", HTTP_ORIGIN=SHOP).status_code == 405


def test_the_words_come_in_the_language_asked(client, rich):
    data = post(client, "session/", {**signed(rich.email), "lang": "fi"}).json()
    assert data["labels"]["launcher"] == "Palkinnot"
    assert data["member"]["points_label"] == "500 pistettä"


def test_sessions_from_one_address_are_rate_limited(client):
    for _ in range(30):
        assert post(client, "session/").status_code == 200
    response = post(client, "session/")
    assert response.status_code == 429 and response.json()["error"] == "rate_limited"


def test_a_members_session_costs_a_bounded_number_of_queries(
    client, rich, reward, django_assert_max_num_queries
):
    # 17 measured: the storefronts (2), the member (1), rules, tiers, rewards and the member's
    # redemptions (5), standing (1), events (2), the referral link (made on first use: 4),
    # badges and coupons (2).
    with django_assert_max_num_queries(17):
        assert post(client, "session/", signed(rich.email)).status_code == 200


def test_the_script_is_one_cached_file_well_under_30_kb_gzipped(client):
    import gzip

    response = client.get("/widgets/v1/loyalty.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600" and response["ETag"]
    assert len(gzip.compress(response.content)) < 30 * 1024
    assert client.get("/widgets/v1/loyalty.js", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_closed_accounts_address_is_neither_shown_nor_joined(client, member):
    member.is_active = False
    member.save()
    session = post(client, "session/", signed(member.email)).json()
    assert session["customer"]["state"] == "closed" and session["member"] is None
    assert session["labels"]["closed"] == "This address belongs to a closed account."
    response = post(client, "join/", token=session["token"])
    assert response.status_code == 409 and response.json()["error"] == "closed"
    assert User.objects.filter(email=member.email).count() == 1
