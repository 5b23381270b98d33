"""End to end in Chromium: the loyalty widget on /demo-shop/, as a shop embeds it with one
script tag. A visitor is invited to join; the shop's signed-in member sees points and redeems a
reward through the same confirmation as /rewards/; a shop customer without an account joins
with one click. Keyboard and screen-reader basics, Finnish, dark mode and the shop's hostile
CSS are checked on the way; axe runs on the same page in the CI audit (.ci/audit/run.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from membership.models import Redemption, Reward, User
from membership.services.points import points_adjust
from tests.factories import make_member
from tests.membership.shop import make_product

pytestmark = pytest.mark.browser


def make_world() -> None:
    make_product(sku="WAX-GLIDE-60")
    aino = make_member("aino", display_name="Aino Virtanen")
    points_adjust(member=aino, amount=300, reason="balance", actor=make_member("staff"))
    Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=100)


def loyalty(page):
    return page.locator("[data-kanta-loyalty]")


def test_a_visitor_is_invited_and_the_panel_works_by_keyboard(live_asgi, storefront, browser_page, console):
    live_asgi.call(make_world)
    page = browser_page
    page.goto("/demo-shop/")
    widget = loyalty(page)
    launcher = widget.locator("button.launcher")
    expect(launcher).to_have_text("★ Rewards")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")
    panel = widget.locator("[role=dialog]")
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("h2")).to_be_focused()
    expect(panel).to_contain_text("Join and earn points")
    expect(panel.get_by_role("link", name="Join the programme")).to_have_attribute(
        "href", re.compile(r"/accounts/signup/$")
    )
    expect(panel).to_contain_text("Join to redeem.")
    # The shop's CSS paints every paragraph dark red: not the widget's.
    colour = panel.locator("p.muted").first.evaluate("p => getComputedStyle(p).color")
    assert colour != "rgb(139, 0, 0)"
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    assert console.errors == []


def test_the_shops_member_redeems_a_reward_with_the_confirmation_step(
    live_asgi, storefront, browser_page, console
):
    live_asgi.call(make_world)
    page = browser_page
    page.goto("/demo-shop/?customer=aino@example.com")
    widget = loyalty(page)
    launcher = widget.locator("button.launcher")
    expect(launcher).to_have_text("★ 300 points")
    launcher.click()
    panel = widget.locator("[role=dialog]")
    expect(panel).to_contain_text("Tier")
    expect(panel.locator("progress")).to_have_count(1)
    expect(panel.locator("input[readonly]")).to_have_value(re.compile(r"/r/[A-Za-z0-9_-]+/$"))

    # Cancel returns to the reward's button; Redeem again opens the confirmation.
    panel.get_by_role("button", name="Redeem: 10 € off").click()
    panel.get_by_role("button", name="Cancel").click()
    expect(panel.get_by_role("button", name="Redeem: 10 € off")).to_be_focused()
    page.keyboard.press("Enter")
    confirm = panel.locator(".confirm")
    expect(confirm).to_contain_text("It costs100 points")
    expect(confirm).to_contain_text("You have now300 points")
    expect(confirm).to_contain_text("Left after redeeming200 points")
    expect(panel.get_by_role("button", name="Spend the points")).to_be_focused()
    page.keyboard.press("Enter")

    expect(panel.locator(".status")).to_contain_text("Redeemed: 10 € off.")
    expect(panel.locator(".status")).to_be_focused()
    code = live_asgi.call(lambda: Redemption.objects.get(member__username="aino").coupon_code)
    expect(panel.locator(".status")).to_have_text(f"Redeemed: 10 € off. Your coupon code is {code}.")
    expect(launcher).to_have_text("★ 200 points")
    expect(panel.locator("code")).to_have_text(code)
    assert console.errors == []


def test_a_shop_customer_without_an_account_joins_with_one_click(
    live_asgi, storefront, browser_page, console
):
    live_asgi.call(make_world)
    page = browser_page
    page.goto("/demo-shop/?customer=new.customer@example.com")
    widget = loyalty(page)
    widget.locator("button.launcher").click()
    panel = widget.locator("[role=dialog]")
    panel.get_by_role("button", name="Join with new.customer@example.com").click()
    expect(panel).to_contain_text("Your points")
    expect(panel.locator("h3").first).to_be_focused()
    expect(widget.locator("button.launcher")).to_have_text(re.compile(r"★ \d+ points"))
    assert live_asgi.call(lambda: User.objects.filter(email="new.customer@example.com").count()) == 1
    assert console.errors == []


def test_finnish_and_dark(live_asgi, storefront, browser_page, console):
    live_asgi.call(make_world)
    page = browser_page
    page.context.add_cookies([{"name": "django_language", "value": "fi", "url": live_asgi.url}])
    page.emulate_media(color_scheme="dark")
    page.goto("/demo-shop/?customer=aino@example.com")
    widget = loyalty(page)
    launcher = widget.locator("button.launcher")
    expect(launcher).to_have_text("★ 300 pistettä")
    launcher.click()
    panel = widget.locator("[role=dialog]")
    expect(panel).to_contain_text("Pisteesi")
    assert panel.evaluate("p => getComputedStyle(p).backgroundColor") == "rgb(22, 32, 26)"
    assert console.errors == []
