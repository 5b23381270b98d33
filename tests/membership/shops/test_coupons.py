"""Rewards' coupons created in the shop (membership/shops/coupons.py) against the HTTP-level
fakes of Shopify's and WooCommerce's APIs (fake_platforms.py): what each shop is sent, the
member told only once the shop has the code, and every way the call can fail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from membership.models import Notification, Redemption, Reward, ShopConnection, ShopCoupon
from membership.services.points import points_adjust
from membership.services.rewards import reward_gift, reward_redeem
from membership.shops import coupons
from membership.shops.coupons import (
    MAX_ATTEMPTS,
    lease,
    shop_coupon_retry,
    shop_coupons_due,
    shop_coupons_withdraw,
)
from tests.factories import make_member
from tests.membership.shop import make_product
from tests.membership.shops.fake_platforms import (
    SHOPIFY_TOKEN,
    WOO_KEY,
    WOO_SECRET,
)

State = ShopCoupon.State


@pytest.fixture
def staff(db):
    return make_member("staff")


@pytest.fixture
def rich(member, staff):
    points_adjust(member=member, amount=5000, reason="test balance", actor=staff)
    return member


def shopify_shop(**fields) -> ShopConnection:
    values = {
        "platform": "shopify",
        "name": "Polku on Shopify",
        "shop_domain": "polku.myshopify.com",
        "webhook_secret": "whsec",
        "coupons_enabled": True,
        "api_secret": SHOPIFY_TOKEN,
        **fields,
    }
    return ShopConnection.objects.create(**values)


def woo_shop(fake, **fields) -> ShopConnection:
    values = {
        "platform": "woocommerce",
        "name": "Polku on WooCommerce",
        "shop_domain": fake.origin,
        "webhook_secret": "whsec",
        "coupons_enabled": True,
        "api_key": WOO_KEY,
        "api_secret": WOO_SECRET,
        **fields,
    }
    return ShopConnection.objects.create(**values)


def reward(kind=Reward.Kind.FIXED, value="10", **fields) -> Reward:
    return Reward.objects.create(name=f"{kind} reward", kind=kind, value=Decimal(value), cost=100, **fields)


def redeem(member, the_reward, capture) -> Redemption:
    with capture(execute=True):
        return reward_redeem(member=member, reward_id=the_reward.pk)


def coupon_notifications(member) -> list[str]:
    return list(
        Notification.objects.filter(recipient=member, kind="reward-redeemed").values_list("title", flat=True)
    )


# --- Shopify --------------------------------------------------------------------------------


def test_a_redeemed_reward_becomes_a_one_use_shopify_code_and_the_member_is_told_then(
    rich, fake_platforms, django_capture_on_commit_callbacks, client
):
    shop = shopify_shop()
    redemption = redeem(rich, reward(value="10"), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption, connection=shop)
    assert (row.state, row.attempts) == (State.LIVE, 1)
    discount = fake_platforms.shopify_discounts[redemption.coupon_code]
    assert row.external_id == discount["id"]
    assert discount["kind"] == "discountCodeBasicCreate"
    assert discount["usageLimit"] == 1 and discount["appliesOncePerCustomer"] is True
    assert discount["context"] == {"all": "ALL"}
    assert discount["customerGets"] == {
        "value": {"discountAmount": {"amount": "10.00", "appliesOnEachItem": False}},
        "items": {"all": True},
    }
    assert discount["endsAt"] is None
    assert fake_platforms.requests[0]["path"] == "/polku.myshopify.com/admin/api/2025-10/graphql.json"
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]
    client.force_login(rich)
    assert redemption.coupon_code in client.get("/rewards/").content.decode()


def test_percent_free_shipping_and_free_product_in_shopify_terms(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    percent = redeem(rich, reward(Reward.Kind.PERCENT, "15"), django_capture_on_commit_callbacks)
    shipping = redeem(rich, reward(Reward.Kind.SHIPPING, "0"), django_capture_on_commit_callbacks)
    product = make_product(sku="WAX-GLIDE-60")
    free = redeem(rich, reward(Reward.Kind.PRODUCT, "0", product=product), django_capture_on_commit_callbacks)
    sent = fake_platforms.shopify_discounts
    assert sent[percent.coupon_code]["customerGets"]["value"] == {"percentage": 0.15}
    assert sent[shipping.coupon_code]["kind"] == "discountCodeFreeShippingCreate"
    assert sent[shipping.coupon_code]["destination"] == {"all": True}
    assert sent[free.coupon_code]["customerGets"] == {
        "value": {"percentage": 1.0},
        "items": {"products": {"productVariantsToAdd": ["gid://shopify/ProductVariant/43729076"]}},
    }
    assert set(ShopCoupon.objects.values_list("state", flat=True)) == {State.LIVE}


def test_a_gifted_coupon_ends_in_the_shop_when_it_expires(
    member, staff, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        gift = reward_gift(
            member=member,
            reward=reward(),
            reason="sorry",
            actor=staff,
            idempotency_key="g1",
            valid_days=30,
            now=now,
        )
    assert (
        fake_platforms.shopify_discounts[gift.coupon_code]["endsAt"] == (now + timedelta(days=30)).isoformat()
    )
    # The gift's giver tells the member (a campaign's message, staff): no second notice.
    assert ShopCoupon.objects.get(redemption=gift).state == State.LIVE
    assert coupon_notifications(member) == []


def test_while_the_shop_has_not_got_the_code_the_member_does_not_see_it(
    rich, fake_platforms, django_capture_on_commit_callbacks, client
):
    shopify_shop()
    fake_platforms.faults = [503]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.PENDING and "HTTP 503" in row.last_error
    assert coupon_notifications(rich) == []
    client.force_login(rich)
    page = client.get("/rewards/").content.decode()
    assert redemption.coupon_code not in page
    assert "Being added to the shop" in page
    # The next minute's job: not yet due (the first retry waits a minute).
    assert shop_coupons_due() == ""
    later = timezone.now() + timedelta(seconds=61)
    assert shop_coupons_due(now=later) == "1 of 1 shop coupon(s) done"
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]
    assert redemption.coupon_code in client.get("/rewards/").content.decode()


def test_passing_failures_back_off_and_throttling_waits_for_the_bucket(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    fake_platforms.faults = ["throttled"]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.PENDING and "THROTTLED" in row.last_error
    start = row.next_attempt_at
    waits = []
    for fault in ["drop", 502, 429]:
        fake_platforms.faults = [fault]
        row.refresh_from_db()
        before = row.next_attempt_at
        assert coupons.shop_coupon_attempt(row.pk, now=before) == State.PENDING
        row.refresh_from_db()
        waits.append((row.next_attempt_at - before).total_seconds())
    assert waits == [120, 240, 480]  # 1, 2, 4, 8 minutes after tries 1–4
    assert start is not None
    assert coupons.shop_coupon_attempt(row.pk, now=row.next_attempt_at) == State.LIVE


def test_an_answer_lost_after_the_shop_made_the_code_is_found_again_not_duplicated(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    fake_platforms.faults = ["lost"]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.PENDING
    made = fake_platforms.shopify_discounts[redemption.coupon_code]["id"]
    assert coupons.shop_coupon_attempt(row.pk, now=row.next_attempt_at) == State.LIVE
    row.refresh_from_db()
    assert row.external_id == made
    assert len(fake_platforms.shopify_discounts) == 1


def test_a_refusal_fails_at_once_for_staff_and_a_retry_after_the_fix_succeeds(
    rich, fake_platforms, django_capture_on_commit_callbacks, client
):
    shop = shopify_shop(api_secret="shpat_wrong")
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert (row.state, row.attempts, row.next_attempt_at) == (State.FAILED, 1, None)
    assert "HTTP 401" in row.last_error and "Invalid API key" in row.last_error
    client.force_login(rich)
    assert "Delayed" in client.get("/rewards/").content.decode()
    assert shop_coupons_due(now=timezone.now() + timedelta(days=1)) == ""  # nothing retries it alone
    shop.api_secret = SHOPIFY_TOKEN
    shop.save()
    with django_capture_on_commit_callbacks(execute=True):
        shop_coupon_retry(row)
    row.refresh_from_db()
    assert row.state == State.LIVE
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]


def test_an_unknown_sku_is_a_refusal_naming_it(rich, fake_platforms, django_capture_on_commit_callbacks):
    shopify_shop()
    product = make_product(sku="NOT-IN-SHOP")
    redemption = redeem(
        rich, reward(Reward.Kind.PRODUCT, "0", product=product), django_capture_on_commit_callbacks
    )
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.FAILED and "NOT-IN-SHOP" in row.last_error


def test_passing_failures_give_up_after_the_last_try(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    fake_platforms.faults = [503] * MAX_ATTEMPTS
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    while row.state == State.PENDING:
        coupons.shop_coupon_attempt(row.pk, now=row.next_attempt_at)
        row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, MAX_ATTEMPTS)
    assert fake_platforms.faults == []


def test_a_worker_killed_mid_call_leaves_the_coupon_to_the_job_once_its_lease_ends(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    fake_platforms.faults = [503]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    # A worker claims the retry, then dies before it records anything.
    claimed_at = row.next_attempt_at
    ShopCoupon.objects.filter(pk=row.pk).update(next_attempt_at=claimed_at + lease(), attempts=2)
    assert shop_coupons_due(now=claimed_at + lease() - timedelta(seconds=1)) == ""
    assert shop_coupons_due(now=claimed_at + lease()) == "1 of 1 shop coupon(s) done"
    assert len(fake_platforms.shopify_discounts) == 1


def test_two_workers_on_one_coupon_call_the_shop_once(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    fake_platforms.faults = [503]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    calls = len(fake_platforms.requests)
    # The second worker read the row before the first one claimed it: its claim finds it moved.
    stale = ShopCoupon.objects.get(pk=row.pk)
    assert coupons.shop_coupon_attempt(row.pk, now=row.next_attempt_at) == State.LIVE
    assert coupons.shop_coupon_attempt(stale.pk, now=stale.next_attempt_at) == ""
    assert len(fake_platforms.requests) == calls + 1


def test_a_voided_coupon_is_removed_from_the_shop(rich, fake_platforms, django_capture_on_commit_callbacks):
    shopify_shop()
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    assert redemption.coupon_code in fake_platforms.shopify_discounts
    with django_capture_on_commit_callbacks(execute=True):
        assert shop_coupons_withdraw(redemption) == 1
    assert ShopCoupon.objects.get(redemption=redemption).state == State.WITHDRAWN
    assert fake_platforms.shopify_discounts == {}


def test_no_shop_taking_coupons_leaves_the_code_the_members_at_once(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop(coupons_enabled=False)
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    assert not ShopCoupon.objects.exists()
    assert fake_platforms.requests == []
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]


def test_redeeming_with_a_coupon_shop_adds_one_row_and_one_queued_task(
    rich, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    shopify_shop()
    the_reward = reward()
    with django_capture_on_commit_callbacks() as queued, django_assert_max_num_queries(17):
        reward_redeem(member=rich, reward_id=the_reward.pk)
    assert ShopCoupon.objects.count() == 1
    assert len(queued) == 1


# --- WooCommerce ---------------------------------------------------------------------------


def test_a_redeemed_reward_becomes_a_one_use_woocommerce_coupon(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    woo_shop(fake_platforms)
    redemption = redeem(rich, reward(Reward.Kind.PERCENT, "20"), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.LIVE
    coupon = fake_platforms.woo_coupons[int(row.external_id)]
    assert coupon["code"] == redemption.coupon_code.lower()
    assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"]) == ("percent", "20.00", 1)
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]


def test_woocommerce_free_shipping_and_free_product(rich, fake_platforms, django_capture_on_commit_callbacks):
    woo_shop(fake_platforms)
    shipping = redeem(rich, reward(Reward.Kind.SHIPPING, "0"), django_capture_on_commit_callbacks)
    product = make_product(sku="WAX-GLIDE-60")
    free = redeem(rich, reward(Reward.Kind.PRODUCT, "0", product=product), django_capture_on_commit_callbacks)
    by_code = {c["code"]: c for c in fake_platforms.woo_coupons.values()}
    assert by_code[shipping.coupon_code.lower()]["free_shipping"] is True
    made = by_code[free.coupon_code.lower()]
    assert (made["product_ids"], made["amount"], made["limit_usage_to_x_items"]) == ([93], "100", 1)


def test_woocommerce_lost_answer_is_found_by_code_and_a_void_deletes_it(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    woo_shop(fake_platforms)
    fake_platforms.faults = ["lost"]
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.PENDING
    assert coupons.shop_coupon_attempt(row.pk, now=row.next_attempt_at) == State.LIVE
    assert len(fake_platforms.woo_coupons) == 1
    with django_capture_on_commit_callbacks(execute=True):
        shop_coupons_withdraw(redemption)
    assert fake_platforms.woo_coupons == {}
    assert ShopCoupon.objects.get(pk=row.pk).state == State.WITHDRAWN


def test_woocommerce_wrong_keys_are_a_refusal(rich, fake_platforms, django_capture_on_commit_callbacks):
    woo_shop(fake_platforms, api_secret="cs_wrong")
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.FAILED and "woocommerce_rest_cannot_create" in row.last_error


def test_woocommerce_over_plain_http_is_refused_without_sending_the_keys(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    woo_shop(fake_platforms, shop_domain="http://shop.example.com")
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == State.FAILED and "https://" in row.last_error
    assert fake_platforms.requests == []


def test_both_shops_get_the_coupon_and_the_member_is_told_once_both_have_it(
    rich, fake_platforms, django_capture_on_commit_callbacks
):
    shopify_shop()
    woo_shop(fake_platforms)
    fake_platforms.faults = [503]  # Shopify's first call
    redemption = redeem(rich, reward(), django_capture_on_commit_callbacks)
    states = dict(ShopCoupon.objects.values_list("connection__platform", "state"))
    assert states == {"shopify": State.PENDING, "woocommerce": State.LIVE}
    assert coupon_notifications(rich) == []
    shop_coupons_due(now=timezone.now() + timedelta(minutes=2))
    assert coupon_notifications(rich) == [f"Your coupon: {redemption.coupon_code}"]


def test_a_connection_taking_coupons_needs_its_api_access(db):
    from django.core.exceptions import ValidationError

    shop = ShopConnection(
        platform="woocommerce",
        name="w",
        shop_domain="shop.example.com",
        webhook_secret="s",
        coupons_enabled=True,
    )
    with pytest.raises(ValidationError) as error:
        shop.full_clean()
    assert {"api_key", "api_secret", "shop_domain"} <= set(error.value.message_dict)
