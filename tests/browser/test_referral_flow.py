"""End to end in Chromium: a friend follows a member's referral link, signs up and verifies
their email, the shop reports their first order through the signed webhook, the return
window passes (the worker's jobs run with the clock moved on), and both members see their
points and a badge on their profiles."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from content.models import Product
from membership.services.referrals import referral_link_get_or_create, referrals_convert_due
from tests.browser.test_notifications_toast import make_home_page
from tests.factories import PASSWORD, make_member
from tests.membership.shop import shop_signature

pytestmark = pytest.mark.browser


def setup_world() -> str:
    make_home_page()
    Product.objects.create(
        name="Kivi W240 studded tyre", slug="kivi-w240", sku="PK-240", price=Decimal("89.00")
    )
    aino = make_member("aino", display_name="Aino Virtanen")
    return referral_link_get_or_create(member=aino).code


def post_order(base_url: str, email: str) -> dict:
    body = json.dumps(
        {
            "id": "POLKU-1001",
            "email": email,
            "status": "paid",
            "currency": "EUR",
            "total": "89.00",
            "created_at": timezone.now().isoformat(),
            "lines": [{"sku": "PK-240", "quantity": 1, "price": "89.00"}],
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (our own test server, http only)
        f"{base_url}/api/v1/orders/",
        data=body,
        headers={"Content-Type": "application/json", **shop_signature("POST", "/api/v1/orders/", body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201
        return json.loads(response.read())


def window_passes() -> int:
    # The worker's job, run as the worker would run it fifteen days from now.
    return referrals_convert_due(now=timezone.now() + timedelta(days=15))


def test_referred_friend_signs_up_orders_and_both_are_rewarded(live_asgi, chromium, browser_page, console):
    from playwright.sync_api import expect

    code = live_asgi.call(setup_world)
    friend = browser_page

    # 1. The friend follows the link and is told who invited them.
    friend.goto(f"/r/{code}/")
    friend.wait_for_url(re.compile(r"/accounts/signup/"))
    expect(friend.get_by_text("Aino Virtanen invited you")).to_be_visible()

    # 2. Signs up, then confirms the address from the email.
    friend.locator("input[name=email]").fill("kalle@example.org")
    friend.locator("input[name=username]").fill("kalle")
    friend.locator("input[name=password1]").fill("winter-tyres-9")
    friend.locator("input[name=password2]").fill("winter-tyres-9")
    friend.locator("form:has(input[name=password2]) [type=submit]").click()
    friend.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    friend.goto(link.split("/accounts/", 1)[1].join(["/accounts/", ""]))
    friend.get_by_role("button", name="Confirm").click()

    # 3. Completes the profile: the First Steps badge.
    friend.goto("/settings/profile/")
    friend.locator("input[name=display_name]").fill("Kalle Kivelä")
    friend.locator("textarea[name=bio]").fill("New to winter cycling.")
    friend.locator("form:has(textarea[name=bio]) [type=submit]").click()
    friend.wait_for_url(re.compile(r"/members/kalle/"))

    # 4. The shop reports the friend's first order: pending for the return window.
    receipt = post_order(live_asgi.url, "kalle@example.org")
    assert receipt["result"] == "created"
    friend.reload()
    expect(friend.locator(".stat", has_text="Pending")).to_contain_text("189")

    # 5. The window passes; the worker converts the referral and approves the points.
    assert live_asgi.call(window_passes) == 1
    friend.reload()
    # 20 for the verified sign-up, 89 for the order, 100 for joining through a friend.
    expect(friend.locator(".stat", has_text="Points to spend")).to_contain_text("209")
    expect(friend.get_by_text("Joined through a friend")).to_be_visible()
    expect(friend.locator(".badge-shelf")).to_contain_text("First Steps")

    # 6. Aino signs in (another browser) and sees her reward, the badge and the referral.
    context = chromium.new_context(base_url=live_asgi.url, locale="en-GB")
    aino = context.new_page()
    aino.goto("/accounts/login/")
    aino.locator("input[name=login]").fill("aino")
    aino.locator("input[name=password]").fill(PASSWORD)
    aino.locator("form:has(input[name=password]) [type=submit]").click()
    aino.wait_for_url(f"{live_asgi.url}/")
    aino.goto("/members/aino/")
    expect(aino.locator(".stat", has_text="Points to spend")).to_contain_text("200")
    expect(aino.locator(".badge-shelf")).to_contain_text("Connector")
    referral = aino.get_by_role("row", name=re.compile("^Kalle Kivelä"))
    expect(referral).to_contain_text("Converted")
    expect(aino.get_by_text("Kalle Kivelä joined through your link")).to_be_visible()
    context.close()
    assert console.errors == []
