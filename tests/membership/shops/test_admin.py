"""The shops and their delivery log in the Wagtail admin: Staff add a shop, read every
delivery with its outcome and replay a verified one; nobody edits a delivery."""

from __future__ import annotations

import pytest

from membership.models import Order, ShopConnection, ShopDelivery
from tests.factories import make_member
from tests.membership.shops.test_webhooks import SHOP, SHOPIFY_SECRET, load, shopify

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


def test_staff_add_a_shop_and_its_secret_is_not_listed(client, staff):
    client.force_login(staff)
    response = client.post(
        "/admin/snippets/membership/shopconnection/add/",
        {
            "platform": "shopify",
            "name": "Polku",
            "shop_domain": SHOP,
            "webhook_secret": SHOPIFY_SECRET,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.text[:2000]
    assert ShopConnection.objects.get().webhook_secret == SHOPIFY_SECRET
    listing = client.get("/admin/snippets/membership/shopconnection/")
    assert SHOP in listing.text and SHOPIFY_SECRET not in listing.text


def test_the_delivery_log_lists_outcomes_and_replays_a_verified_delivery(client, staff):
    ShopConnection.objects.create(
        platform="shopify", name="Polku", shop_domain=SHOP, webhook_secret=SHOPIFY_SECRET
    )
    shopify(client, "orders/paid", load("shopify_orders_paid.kanta-variant.json"))
    shopify(
        client, "orders/paid", load("shopify_orders_paid.kanta-variant.json"), webhook_id="x", secret="bad"
    )
    verified = ShopDelivery.objects.get(verified=True)
    client.force_login(staff)

    listing = client.get("/admin/snippets/membership/shopdelivery/")
    assert listing.status_code == 200
    assert "applied to the order" in listing.text and "bad signature" in listing.text
    replay_url = f"/admin/loyalty/shop-deliveries/{verified.pk}/replay/"
    assert replay_url in listing.text
    inspect = client.get(f"/admin/snippets/membership/shopdelivery/inspect/{verified.pk}/")
    assert inspect.status_code == 200 and "jon@example.com" in inspect.text

    assert client.get(replay_url).status_code == 200
    assert client.post(replay_url, {}).status_code == 200  # the confirmation is required
    response = client.post(replay_url, {"confirm": "on"})
    assert response.status_code == 302
    verified.refresh_from_db()
    assert (verified.replays, verified.outcome) == (1, "unchanged")
    assert Order.objects.count() == 1
    # Nobody edits a delivery.
    assert client.get(f"/admin/snippets/membership/shopdelivery/edit/{verified.pk}/").status_code in {
        302,
        403,
    }


def test_an_unverified_delivery_is_not_replayed(client, staff):
    shopify(client, "orders/paid", load("shopify_orders_paid.kanta-variant.json"), secret="bad")
    refused = ShopDelivery.objects.get()
    client.force_login(staff)

    response = client.post(f"/admin/loyalty/shop-deliveries/{refused.pk}/replay/", {"confirm": "on"})

    assert response.status_code == 200
    assert "can be replayed" in response.text
    refused.refresh_from_db()
    assert refused.replays == 0


def test_replay_needs_the_permission(client):
    editor = make_member("editor", groups=["Editors"])
    shopify(client, "orders/paid", load("shopify_orders_paid.kanta-variant.json"), secret="bad")
    client.force_login(editor)
    response = client.get(f"/admin/loyalty/shop-deliveries/{ShopDelivery.objects.get().pk}/replay/")
    assert response.status_code in {302, 403}


def test_staff_see_coupons_in_shops_and_retry_a_refused_one(
    client, staff, member, fake_platforms, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from membership.models import Reward, ShopCoupon
    from membership.services.points import points_adjust
    from membership.services.rewards import reward_redeem
    from tests.membership.shops.fake_platforms import SHOPIFY_TOKEN

    shop = ShopConnection.objects.create(
        platform="shopify",
        name="Polku",
        shop_domain=SHOP,
        webhook_secret=SHOPIFY_SECRET,
        coupons_enabled=True,
        api_secret="shpat_wrong",
    )
    points_adjust(member=member, amount=100, reason="balance", actor=staff)
    reward = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=Decimal(5), cost=100)
    with django_capture_on_commit_callbacks(execute=True):
        redemption = reward_redeem(member=member, reward_id=reward.pk)
    coupon = ShopCoupon.objects.get()
    assert coupon.state == ShopCoupon.State.FAILED
    client.force_login(staff)

    listing = client.get("/admin/snippets/membership/shopcoupon/")
    assert listing.status_code == 200
    assert redemption.coupon_code in listing.text and "the shop refused it" in listing.text
    retry_url = f"/admin/loyalty/shop-coupons/{coupon.pk}/retry/"
    assert retry_url in listing.text
    inspect = client.get(f"/admin/snippets/membership/shopcoupon/inspect/{coupon.pk}/")
    assert inspect.status_code == 200 and "Invalid API key" in inspect.text
    assert "shpat_wrong" not in inspect.text

    page = client.get(retry_url)
    assert page.status_code == 200 and "Invalid API key" in page.text
    assert client.post(retry_url, {}).status_code == 200  # the confirmation is required
    shop.api_secret = SHOPIFY_TOKEN
    shop.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, {"confirm": "on"})
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.state == ShopCoupon.State.LIVE
    # A coupon that is not refused cannot be retried by hand: the worker has it.
    again = client.post(retry_url, {"confirm": "on"})
    assert again.status_code == 200 and "Only a coupon the shop refused" in again.text


def test_retrying_coupons_needs_the_permission(client):
    client.force_login(make_member("editorial", groups=["Editors"]))
    assert client.get("/admin/loyalty/shop-coupons/1/retry/").status_code in {302, 403}
