"""End to end in Chromium: the reviews widget on /demo-shop/, a stand-in for a store's product
page that embeds it with one script tag. The widget renders in its shadow root untouched by the
shop's (deliberately hostile) CSS, follows the visitor's light or dark setting, speaks the
page's language, is reachable by keyboard, and puts the product's AggregateRating on the page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.community.conftest import veteran, write_review
from tests.factories import make_member
from tests.membership.shop import make_product

pytestmark = pytest.mark.browser


def make_reviews() -> str:
    product = make_product(sku="WAX-GLIDE-60")
    moderator = make_member("ville", groups=["Moderators"])
    write_review(
        veteran("m0", display_name="Mira"), product, rating=5, title="Fast on cold snow", approve_by=moderator
    )
    write_review(veteran("m1"), product, rating=4, title="Good value", approve_by=moderator, bought=True)
    return product.sku


def widget(page):
    return page.locator("[data-kanta-reviews]")


def test_the_reviews_widget_on_a_shop_page(live_asgi, storefront, browser_page, console):
    sku = live_asgi.call(make_reviews)
    page = browser_page
    page.goto(f"/demo-shop/?sku={sku}")

    host = widget(page)
    expect(host.locator("section h2")).to_have_text("Customer reviews")
    expect(host.locator("section")).to_contain_text("4.5 out of 5, from 2 reviews")
    expect(host.locator("li.review h3")).to_have_text(["Good value", "Fast on cold snow"])
    expect(host.locator("li.review .badge")).to_have_text(["Verified buyer"])
    # The shop's CSS colours every h3 and link dark red: not inside the widget.
    colour = host.locator("li.review h3 a").first.evaluate("a => getComputedStyle(a).color")
    assert colour != "rgb(139, 0, 0)"
    shop_colour = page.locator("footer p").evaluate("p => getComputedStyle(p).color")
    assert shop_colour == "rgb(139, 0, 0)"

    ld = json.loads(page.locator('head script[type="application/ld+json"]').text_content())
    assert ld["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.5,
        "reviewCount": 2,
        "bestRating": 5,
        "worstRating": 1,
    }

    # Keyboard: tabbing from the shop's button reaches the widget's first review link.
    page.locator("button.buy").focus()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.querySelector('[data-kanta-reviews]')"):
            break
    focused = host.evaluate("h => h.shadowRoot.activeElement && h.shadowRoot.activeElement.textContent")
    assert focused == "Good value"

    light = host.locator("section").evaluate("s => getComputedStyle(s).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = host.locator("section").evaluate("s => getComputedStyle(s).backgroundColor")
    assert (light, dark) == ("rgb(255, 255, 255)", "rgb(22, 32, 26)")
    assert console.errors == []


def test_the_widget_speaks_finnish_on_a_finnish_page_and_stays_quiet_for_an_unknown_sku(
    live_asgi, storefront, browser_page, console
):
    sku = live_asgi.call(make_reviews)
    page = browser_page
    page.context.add_cookies([{"name": "django_language", "value": "fi", "url": live_asgi.url}])
    page.goto(f"/demo-shop/?sku={sku}")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    host = widget(page)
    expect(host.locator("section h2")).to_have_text("Asiakkaiden arvostelut")
    expect(host.locator("section")).to_contain_text("4,5 / 5, 2 arvostelun perusteella")
    expect(host.locator("li.review .badge")).to_have_text(["Vahvistettu ostaja"])

    page.evaluate(
        """() => { const d = document.createElement('div'); d.dataset.kantaReviews = '';
        d.dataset.sku = 'NO-SUCH-SKU'; d.id = 'unknown'; document.body.appendChild(d);
        const s = document.createElement('script'); s.src = '/widgets/v1/reviews.js';
        document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(500)
    assert (
        page.locator("#unknown").evaluate("d => d.shadowRoot && d.shadowRoot.querySelector('section')")
        is None
    )
    # The unknown SKU's 404 is the only console message: the page itself is untouched.
    assert all("404" in error for error in console.errors)
