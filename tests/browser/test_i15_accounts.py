"""Issue 15: the account pages speak the site's words. The header says "Log in" and "Join";
the sign-in page said "Sign In" and "Remember Me", the sign-up page "Sign Up"."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, make_member

from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser


def world() -> None:
    make_home_page()
    make_member("aino", display_name="Aino Virtanen")


def test_the_login_page_says_log_in_and_remember_me(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(world)
    page = browser_page
    page.goto("/")
    page.locator(".site-header").get_by_role("link", name="Log in").click()
    expect(page).to_have_title("Log in · Polku Outdoor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    remember = page.get_by_role("checkbox", name="Remember me")
    expect(remember).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_attribute(
        "href", "/accounts/password/reset/"
    )
    # "Join" keeps where the visitor came from.
    expect(page.locator("main").get_by_role("link", name="Join")).to_have_attribute(
        "href", "/accounts/signup/?next=%2F"
    )
    # allauth's words, matched case-sensitively (get_by_text with a string ignores case).
    expect(page.get_by_text(re.compile(r"Sign In|Remember Me"))).to_have_count(0)

    page.get_by_label("Username or email").fill("aino")
    page.locator("input[name=password]").fill(PASSWORD)
    remember.check()
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".messages [role=status]")).to_contain_text("You are logged in as")


def test_the_signup_page_says_join(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(world)
    page = browser_page
    page.goto("/")
    page.locator(".site-header").get_by_role("link", name="Join").click()
    expect(page).to_have_title("Join · Polku Outdoor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Polku Outdoor")
    expect(page.locator("main").get_by_role("button", name="Join")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Log in")).to_have_attribute(
        "href", "/accounts/login/"
    )
    expect(page.get_by_text(re.compile(r"Sign Up|Signup"))).to_have_count(0)
