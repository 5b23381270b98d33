"""Issue 15 in Chromium: a member whose tier hold ends within 30 days, short of the points
that keep it, is told so in the app: a notification (the hourly job) and a notice on their
profile, both with the points still needed; the profile's figures say what they count."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_notifications_toast import make_home_page
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser


def setup_world() -> int:
    from datetime import timedelta

    from django.utils import timezone

    from membership.services.points import points_adjust, points_grant
    from membership.services.tier_holds import tier_holds_warn

    make_home_page()
    now = timezone.now()
    staff = make_member("staffer", groups=["Staff"])
    aino = make_member("aino", display_name="Aino Virtanen")
    # Silver (500) reached 340 days ago; one review since (50 at Silver's 1.1x): 445 short.
    points_adjust(member=aino, amount=500, reason="carried over", actor=staff, now=now - timedelta(days=340))
    points_grant(member=aino, rule_key="review", idempotency_key="r", now=now - timedelta(days=100))
    return tier_holds_warn(now=now)


def test_the_tier_hold_warning_shows_in_the_app_with_the_points_needed(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    assert live_asgi.call(setup_world) == 1
    page = browser_page
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("aino")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/notifications/")
    title = re.compile(r"^445 more status points by .+ keep your Silver tier$")
    expect(page.get_by_text(title)).to_be_visible()

    page.goto("/members/aino/")
    notice = page.locator("#tier-hold")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_contain_text(re.compile(r"Earn 445 more status points by .+ to keep Silver\."))
    expect(notice).to_contain_text("55 of the 500 it needs so far")
    stats = page.locator(".stat-list")
    expect(stats).to_contain_text("Points to spend")
    expect(stats).to_contain_text("Status points (count toward your tier, last 12 months)")
    expect(stats).to_contain_text("Points earned (all time)")
    assert console.errors == []
