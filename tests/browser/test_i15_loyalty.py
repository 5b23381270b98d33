"""Issue 15 in Chromium: a member finds Rewards, Ways to earn and Badges from the header;
redeeming asks first (in a dialog: the cost and what is left) and a double click buys one
coupon; the leaderboard shows a podium of three that says what it counts."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_notifications_toast import make_home_page
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser


def setup_world() -> int:
    from membership.models import EarningRule, Reward
    from membership.services.points import points_grant

    make_home_page()
    EarningRule.objects.filter(key="review").update(daily_cap=None)
    people = {}
    for username, points in [("aino", 600), ("eero", 400), ("liisa", 250), ("mikko", 100)]:
        person = make_member(username, display_name=username.capitalize())
        for n in range(points // 50):
            points_grant(member=person, rule_key="review", idempotency_key=f"seed:{username}:{n}")
        people[username] = person
    return Reward.objects.create(
        name="10 € off your next order", kind=Reward.Kind.FIXED, value=10, cost=500
    ).pk


def balance() -> int:
    from membership.models import MemberStanding

    return MemberStanding.objects.get(member__username="aino").spendable_points


def redemptions() -> list[tuple[str, int]]:
    from membership.models import MemberStanding, Redemption

    spendable = MemberStanding.objects.get(member__username="aino").spendable_points
    return [(r.reward.name, spendable) for r in Redemption.objects.select_related("reward")]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def test_loyalty_pages_are_found_redeeming_confirms_once_and_the_podium_shows_three(
    live_asgi, browser_page, console
):
    from playwright.sync_api import expect

    live_asgi.call(setup_world)
    before = live_asgi.call(balance)  # 600 for reviews, and what signing up gave
    page = browser_page
    log_in(page, "aino")

    # The account menu leads to the three loyalty pages; the main navigation to Rewards.
    menu = page.locator("details.account-menu")
    for name, url in [("Ways to earn", "/rewards/earn/"), ("Badges", "/badges/"), ("Rewards", "/rewards/")]:
        menu.locator("summary").click()
        menu.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(re.compile(re.escape(url) + "$"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Rewards")).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_role("navigation", name="Points and rewards").get_by_role("link", name="Ways to earn").click()
    expect(page.get_by_role("row", name=re.compile("^Product review"))).to_contain_text("50 points")

    # Redeem: a dialog says what it costs and what is left; nothing is spent until confirmed.
    page.get_by_role("navigation", name="Points and rewards").get_by_role("link", name="Rewards").click()
    page.get_by_role("link", name=re.compile("^Redeem")).click()
    dialog = page.get_by_role("dialog", name=re.compile("Redeem “10 € off your next order”"))
    expect(dialog).to_be_visible()
    expect(dialog.locator("dt", has_text="It costs").locator("xpath=following-sibling::dd")).to_have_text(
        "500 points"
    )
    expect(dialog.locator("dt", has_text="You have now").locator("xpath=following-sibling::dd")).to_have_text(
        f"{before} points"
    )
    expect(
        dialog.locator("dt", has_text="Left after redeeming").locator("xpath=following-sibling::dd")
    ).to_have_text(f"{before - 500} points")
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert live_asgi.call(redemptions) == []

    # Confirmed with a double click: one coupon, 500 points spent once.
    page.get_by_role("link", name=re.compile("^Redeem")).click()
    form = {
        name: dialog.locator(f"input[name={name}]").input_value()
        for name in ("csrfmiddlewaretoken", "reward", "token")
    }
    dialog.get_by_role("button", name="Spend 500 points").dblclick()
    expect(page.locator(".alert--success")).to_contain_text("Your coupon code is POLKU-")
    assert live_asgi.call(redemptions) == [("10 € off your next order", before - 500)]
    # The same confirmation sent again (a replayed POST): it shows the same coupon, still one.
    replay = page.request.post("/rewards/", form=form, headers={"Referer": f"{live_asgi.url}/rewards/"})
    assert replay.ok
    assert live_asgi.call(redemptions) == [("10 € off your next order", before - 500)]

    # The podium: the top three in order, each figure labelled with what it counts.
    page.goto("/leaderboard/?period=30d")
    podium = page.locator("[data-podium] > li")
    expect(podium).to_have_count(3)
    expect(podium.locator(".podium__name")).to_have_text(["Aino", "Eero", "Liisa"])
    expect(podium.first.locator(".podium__label")).to_have_text("points earned in the last 30 days")
    expect(page.locator("[data-leaderboard-counts]")).to_contain_text("Not the balance")
    # First stands in the middle and highest.
    boxes = [podium.nth(n).locator(".podium__step").bounding_box() for n in range(3)]
    assert boxes[1]["x"] < boxes[0]["x"] < boxes[2]["x"]
    assert boxes[0]["height"] > boxes[1]["height"] > boxes[2]["height"]
    expect(page.locator("ol.leaderboard")).to_contain_text("Mikko")
    assert console.errors == []
    assert console.unexpected_csp_violations() == []


def test_without_javascript_redeem_opens_the_confirmation_page(live_asgi, chromium, console):
    from playwright.sync_api import expect

    live_asgi.call(setup_world)
    before = live_asgi.call(balance)
    context = chromium.new_context(base_url=live_asgi.url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    log_in(page, "aino")
    page.goto("/rewards/")
    page.get_by_role("link", name=re.compile("^Redeem")).click()
    page.wait_for_url(re.compile(r"/rewards/\d+/redeem/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Redeem “10 € off your next order”?")
    expect(page.locator(".redeem-confirm__after dd")).to_have_text(f"{before - 500} points")
    page.get_by_role("button", name="Spend 500 points").click()
    page.wait_for_url(re.compile(r"/rewards/$"))
    expect(page.locator(".alert--success")).to_contain_text("Your coupon code is POLKU-")
    assert live_asgi.call(redemptions) == [("10 € off your next order", before - 500)]
    context.close()
