"""Issue 15: a live event page is honest about its live room, and does not shift.

A member below the event's tier sees who may join, how many points they are from it and what
they can do instead, never a "Join the live room" that ends in a 403; an anonymous visitor
reads why they need to sign in, with Log in / Join links that bring them back; the room's
own refusal page says the same. The door is rendered on the server, so the page's layout
does not move while it loads (the issue measured CLS 0.147).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from tests.factories import PASSWORD

from .test_live_room import sign_in
from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser

SLUG = "wax-clinic-live"
EVENT_URL = f"/events/{SLUG}/"
ROOM_URL = f"/events/{SLUG}/live/"

# Every layout shift of the page so far (buffered: those before this ran too), with what moved.
LAYOUT_SHIFTS = """
() => new Promise((resolve) => {
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      shifts.push({
        value: entry.value,
        sources: (entry.sources || []).map((source) =>
          source.node ? `${source.node.nodeName}.${source.node.className || ""}` : "?"),
      });
    }
  }).observe({ type: "layout-shift", buffered: true });
  // Buffered entries are delivered in the observer's first callback, before this frame ends.
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(shifts)));
})
"""


def make_world() -> dict[str, int]:
    from content.events import EventAccess, EventIndexPage, EventPage
    from membership.models import Tier
    from tests.community.forum_factories import forum_member

    home = make_home_page()
    index = EventIndexPage(title="Events", slug="events", intro="Live Q&As with our workshop.")
    home.add_child(instance=index)
    index.save_revision().publish()
    now = timezone.now()
    vip = Tier.objects.get(slug="vip")
    event = EventPage(
        title="Wax clinic, live",
        slug=SLUG,
        intro="Our ski technician answers your questions about grip wax and klister.",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        time_zone="Europe/Helsinki",
        access=EventAccess.TIER,
        min_tier=vip,
    )
    index.add_child(instance=event)
    event.save_revision().publish()
    gold = forum_member("juha", tier="gold", display_name="Juha Nieminen")
    forum_member("aino", tier="vip", display_name="Aino Virtanen")
    return {"threshold": vip.threshold, "gold_points": gold.standing.status_points}


def layout_shift(page) -> tuple[float, list]:
    page.wait_for_load_state("networkidle")
    shifts = page.evaluate(LAYOUT_SHIFTS)
    return sum(shift["value"] for shift in shifts), shifts


def test_a_member_below_the_tier_reads_who_may_join_and_how_far_they_are(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    world = live_asgi.call(make_world)
    page = browser_page
    page.set_viewport_size({"width": 412, "height": 823})  # Lighthouse's mobile screen
    sign_in(page, live_asgi.url, "juha", EVENT_URL)

    status = page.locator(".event-status")
    expect(page.get_by_role("link", name="Join the live room")).to_have_count(0)
    away = world["threshold"] - world["gold_points"]
    expect(status).to_contain_text("This event is for VIP members and up.")
    expect(status).to_contain_text(f"Your tier is Gold: {away} more points to VIP.")
    expect(status).to_contain_text(
        f"You have {world['gold_points']} status points; VIP starts at {world['threshold']}."
    )
    expect(status.get_by_role("link", name="Ways to earn points")).to_have_attribute("href", "/rewards/earn/")
    expect(status.get_by_role("link", name="Your points")).to_have_attribute("href", "/members/juha/")
    total, shifts = layout_shift(page)
    assert total < 0.02, shifts

    # Reached directly, the room says the same, with a 403.
    response = page.goto(ROOM_URL)
    assert response.status == 403
    expect(page.locator(".live-closed__card")).to_contain_text("for VIP members and up")
    expect(page.locator(".live-closed__card")).to_contain_text("more points to VIP")

    assert console.errors == [] or all("403" in line for line in console.errors), console.errors
    assert live_asgi.error_messages() == []


def test_an_anonymous_visitor_reads_why_to_sign_in_and_comes_back(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(make_world)
    page = browser_page
    page.goto(EVENT_URL)
    status = page.locator(".event-status")
    expect(page.get_by_role("link", name="Join the live room")).to_have_count(0)
    expect(status).to_contain_text("The live room is for VIP members and up, so we need to know who you are")
    login = status.get_by_role("link", name="Log in")
    expect(login).to_have_attribute("href", f"/accounts/login/?next={quote(EVENT_URL, safe='')}")
    expect(status.get_by_role("link", name="Join the community")).to_have_attribute(
        "href", re.compile(r"^/accounts/signup/\?next=")
    )

    # The room itself explains rather than bouncing to a login form without a word.
    response = page.goto(ROOM_URL)
    assert response.status == 403
    card = page.locator(".live-closed__card")
    expect(card).to_contain_text("The live room is for VIP members and up")
    expect(card.get_by_role("link", name="Log in")).to_be_visible()

    # Logging in from the event page lands back on it, now with the member's own answer.
    page.goto(EVENT_URL)
    page.locator(".event-status").get_by_role("link", name="Log in").click()
    page.locator("input[name=login]").fill("aino")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(f"{live_asgi.url}{EVENT_URL}")
    join = page.locator(".event-status").get_by_role("link", name="Join the live room")
    expect(join).to_have_attribute("href", ROOM_URL)

    assert all("403" in line for line in console.errors), console.errors
    assert live_asgi.error_messages() == []


@pytest.mark.parametrize("reader_zone", ["Europe/Helsinki", "UTC", "America/New_York"])
def test_the_join_box_of_a_member_who_may_join_does_not_shift_the_page(
    live_asgi, chromium, console, reader_zone
):
    """A reader in another zone than the event's gets the times rewritten by event_times.js:
    that must not push the status box (the door) down either."""
    from playwright.sync_api import expect

    live_asgi.call(make_world)
    context = chromium.new_context(
        base_url=live_asgi.url,
        locale="en-GB",
        timezone_id=reader_zone,
        viewport={"width": 412, "height": 823},
    )
    page = context.new_page()
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    sign_in(page, live_asgi.url, "aino", EVENT_URL)
    expect(page.locator(".event-status").get_by_role("link", name="Join the live room")).to_be_visible()
    total, shifts = layout_shift(page)
    assert total < 0.02, shifts
    page.reload()
    expect(page.locator(".event-status").get_by_role("link", name="Join the live room")).to_be_visible()
    total, shifts = layout_shift(page)
    assert total < 0.02, shifts

    # Whether the rewrite lands before the first paint depends on the machine's speed, so the
    # shift itself is not always measured: the line count is. The times in the reader's zone
    # take as much height as the server's announced ones, with the note's line reserved.
    height = "() => document.querySelector('[data-event-when]').getBoundingClientRect().height"
    localised = page.evaluate(height)
    without_js = chromium.new_context(
        base_url=live_asgi.url,
        locale="en-GB",
        timezone_id=reader_zone,
        viewport={"width": 412, "height": 823},
        java_script_enabled=False,
    )
    served = without_js.new_page()
    served.goto(EVENT_URL)
    times = ".event-when__times"
    # Near midnight one zone's range spans two dates, a longer line on its own in both.
    if served.locator(times).inner_text().count(",") == page.locator(times).inner_text().count(",") == 1:
        assert served.evaluate(height) == localised
    note = page.locator("[data-event-announced]")
    if reader_zone != "Europe/Helsinki":
        expect(note).to_have_text(re.compile(r"^Announced as \d+ \w+ \d{4}, \d\d:\d\d–.+ EET$"))
        expect(note).to_have_attribute("title", re.compile(r"^Announced as .+ EET$"))
    without_js.close()
    context.close()
    assert console.errors == []
