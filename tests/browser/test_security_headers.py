"""The main pages in Chromium under the enforced Content-Security-Policy: none of them may
violate it (tests/browser/conftest.py fails the test on any securitypolicyviolation event),
and the scripts that must run still do.

One member walks the site (home, guide, blog post, product, forum index and thread, events,
the live room with an HLS stream, their profile, rewards), then an editor opens the Wagtail
admin's dashboard and the page editor with its live preview.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser

EVENT_SLUG = "wax-clinic-live"


def build_site() -> dict[str, str]:
    from content.events import EventAccess, EventIndexPage, EventPage
    from content.models import BlogIndexPage, BlogPostPage, BuyingGuidePage, GuideIndexPage
    from tests.community.forum_factories import forum_member, make_category, reply, start_thread
    from tests.content.conftest import guide_body, make_home, make_product, publish

    home = make_home()
    guides = publish(home, GuideIndexPage(title="Buying guides", slug="guides", intro="Tested picks."))
    blog = publish(home, BlogIndexPage(title="Blog", slug="blog", intro="News and stories."))
    products = [make_product(), make_product()]
    guide = publish(
        guides,
        BuyingGuidePage(
            title="Best studded tyres",
            slug="best-studded-tyres",
            intro="How to choose winter tyres.",
            body=guide_body(products),
        ),
    )
    post = publish(
        blog,
        BlogPostPage(
            title="Winter is here",
            slug="winter-is-here",
            intro="Snow came early.",
            body=json.dumps([{"type": "paragraph", "value": "<p>Time to fit the studs.</p>"}]),
        ),
    )
    events = publish(home, EventIndexPage(title="Events", slug="events", intro="Live Q&As."))
    now = timezone.now()
    publish(
        events,
        EventPage(
            title="Wax clinic, live",
            slug=EVENT_SLUG,
            intro="Glide wax, asked and answered.",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            time_zone="Europe/Helsinki",
            access=EventAccess.MEMBERS,
            # Nothing answers there: what matters is that the player may try (media-src,
            # connect-src https: on this page only) and that hls.js may start its worker.
            stream_url="https://stream.invalid/live/wax-clinic.m3u8",
        ),
    )
    member = forum_member("aino", display_name="Aino Virtanen")
    category = make_category()
    thread = start_thread(member, category)
    reply(member, thread)
    editor = make_member("editor", display_name="Eeva Editor")
    editor.is_superuser = True
    editor.is_staff = True
    editor.save()
    return {
        "home": "/",
        "guide": guide.url,
        "post": post.url,
        "product": products[0].get_absolute_url(),
        "forum": "/forum/",
        "thread": thread.get_absolute_url(),
        "events": events.url,
        "live_room": f"/events/{EVENT_SLUG}/live/",
        "profile": member.get_absolute_url(),
        "rewards": "/rewards/",
        "guide_edit": f"/admin/pages/{guide.pk}/edit/",
    }


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_main_pages_and_the_admin_run_without_a_policy_violation(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    urls = live_asgi.call(build_site)
    page = browser_page
    # Chromium warns about a feature it does not know; the header must name only real ones.
    header_warnings: list[str] = []
    page.on(
        "console",
        lambda message: header_warnings.append(message.text) if "Policy header" in message.text else None,
    )

    page.goto("/accounts/login/")
    sign_in(page, "aino")
    for name in ("home", "guide", "post", "product", "forum", "thread", "events", "profile", "rewards"):
        response = page.goto(urls[name])
        assert response is not None and response.status == 200, (name, response and response.status)
        assert response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")

    # The page's script modules ran: the account socket connected under connect-src.
    expect(page.locator("[data-socket-status]")).to_have_attribute("data-state", "open")
    assert any("/ws/me/" in url for url in console.websockets), console.websockets

    response = page.goto(urls["live_room"])
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "media-src 'self' blob: https:" in policy
    expect(page.locator("video[data-event-stream]")).to_be_attached()
    # event_stream.js ran and said something about the (unreachable) stream.
    expect(page.locator("[data-event-stream-status]")).not_to_be_empty()

    page.goto("/accounts/logout/")
    page.locator("form [type=submit]").last.click()
    sign_in(page, "editor")
    for name in ("home", "guide"):
        # The Wagtail userbar's own script and styles, on the site's policy.
        page.goto(urls[name])
        expect(page.locator("wagtail-userbar")).to_be_attached()
        page.wait_for_load_state("networkidle")
    response = page.goto("/admin/")
    assert response is not None and response.status == 200
    assert "'unsafe-inline'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    page.goto(urls["guide_edit"])
    page.get_by_role("button", name="Toggle preview").click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.get_by_role("heading", level=1)).to_have_text("Best studded tyres")
    page.wait_for_load_state("networkidle")
    assert header_warnings == []
