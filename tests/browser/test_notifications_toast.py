"""End to end in Chromium: sign in, the notification socket connects, a pushed notification toasts.

Runs against the real ASGI application under daphne (tests/browser/conftest.py), so the
socket, the session auth, the channel layer and the page's JavaScript are all the real ones.
"""

from __future__ import annotations

import re

import pytest
from wagtail.models import Page, Site

from content.models import HomePage
from membership.models import Notification
from membership.services.notifications import notification_send
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser

HERO = "Find your trail. Meet your people."


def make_home_page() -> HomePage:
    """A published home page served as the default site (without a hero image: /media/ is
    not served when DEBUG is off, and a broken image would be a console error)."""
    root = Page.get_first_root_node()
    home = HomePage(title="Polku Outdoor community", slug="kanta-home", hero_heading=HERO)
    root.add_child(instance=home)
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True, hostname="localhost")
    site.root_page = home
    site.save()
    return home


def test_member_signs_in_and_a_pushed_notification_appears_as_a_toast(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    # Playwright is running in this thread, so the ORM is reached through the server side.
    live_asgi.call(make_home_page)
    member = live_asgi.call(make_member, "aino", display_name="Aino Virtanen")
    page = browser_page

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(HERO)
    page.locator(".site-header").get_by_role("link", name="Log in").click()

    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill("aino")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()

    # Back on the home page, signed in: the header's socket indicator turns "open" once
    # /ws/me/ has been accepted (the consumer joins the member's group before accepting).
    page.wait_for_url(f"{live_asgi.url}/")
    status = page.locator(".site-header [data-socket-status]")
    expect(status).to_have_attribute("data-state", "open")
    assert any(url.endswith("/ws/me/") for url in console.websockets), console.websockets
    bell_count = page.locator(".site-header [data-bell-count]")
    expect(bell_count).to_be_hidden()  # nothing unread yet

    # The real service, run on the server's loop so the channel layer send reaches the socket.
    notification = live_asgi.call(
        notification_send,
        recipient=member,
        kind="test",
        title="Your review was featured",
        body="Thanks for sharing how the studs held up on ice.",
        url="/notifications/",
    )
    stored = Notification.objects.filter(pk=notification.pk, recipient=member, read_at=None)
    assert live_asgi.call(stored.exists)

    toast = page.locator("[data-toasts] .toast")
    expect(toast.locator(".toast__title")).to_have_text("Your review was featured")
    expect(toast.locator(".toast__body")).to_have_text("Thanks for sharing how the studs held up on ice.")
    # The toast opens the notification through /notifications/<id>/open/, which marks it read.
    expect(toast.locator("a.toast__link")).to_have_attribute(
        "href", f"/notifications/{notification.pk}/open/"
    )
    expect(bell_count).to_be_visible()
    expect(bell_count).to_have_text("1")
    expect(status).to_have_attribute("data-state", "open")

    assert console.errors == []
    assert live_asgi.error_messages() == []


def test_anonymous_visitor_gets_no_notification_socket(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(make_home_page)
    page = browser_page

    # "load" fires after module scripts have run, so any socket would have been opened by now.
    page.goto("/", wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text(HERO)
    expect(page.locator(".site-header").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("[data-socket-status]")).to_have_count(0)
    expect(page.locator("[data-bell]")).to_have_count(0)
    assert console.websockets == []

    assert console.errors == []
    assert live_asgi.error_messages() == []
