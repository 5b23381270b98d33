"""The screenshots in docs/shops.md, taken from a running Kanta with the demo world
(``make run``) in headless Chromium (Debian's /usr/bin/chromium, as the browser tests):

    .venv/bin/python docs/images/shops/make_screenshots.py [--url http://127.0.0.1:8000]

Signs in as the demo's ``admin`` (password ``polku-demo``), adds a Shopify shop with example
values if none exists (the admin's own form, as a person would), and photographs the shop's
form, the delivery log, the coupons in shops and the demo shop's widgets into this folder.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
FIXTURES = HERE.parents[2] / "tests" / "membership" / "shops" / "fixtures"
SHOP_DOMAIN = "polku-outdoor.myshopify.com"
WEBHOOK_SECRET = "shpss_example_webhook_secret_0123456789"  # noqa: S105  (an example, for the demo)


def deliver(base: str, name: str, topic: str, *, secret: str = WEBHOOK_SECRET) -> int:
    """One Shopify webhook delivery, signed as Shopify signs it, for the delivery log."""
    body = (FIXTURES / name).read_bytes()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(  # noqa: S310  (the local server's http URL)
        f"{base}/api/v1/shops/shopify/webhooks/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": digest,
        },
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310  (the local server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


CHROMIUM = "/usr/bin/chromium"
SIZE = {"width": 1280, "height": 860}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    base = parser.parse_args().url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=SIZE, locale="en-GB")
        page.goto(f"{base}/admin/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "polku-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/")

        page.goto(f"{base}/admin/snippets/membership/shopconnection/")
        if page.locator("table.listing tbody tr").count() == 0:
            page.goto(f"{base}/admin/snippets/membership/shopconnection/add/")
            page.select_option("select[name=platform]", "shopify")
            page.fill("input[name=name]", "Polku on Shopify")
            page.fill("input[name=shop_domain]", SHOP_DOMAIN)
            page.fill("input[name=webhook_secret]", WEBHOOK_SECRET)
            page.fill("textarea[name=storefront_origins]", "https://polku-outdoor.fi\nhttp://127.0.0.1:8000")
            page.fill("input[name=widget_secret]", "example-widget-secret-0123456789abcdef")
            page.fill("input[name=api_secret]", "shpat_example_access_token")
            # This machine cannot reach the example shop: its coupons show the retries.
            page.check("input[name=coupons_enabled]")
            page.get_by_role("button", name="Save").click()
            page.wait_for_url(f"{base}/admin/snippets/membership/shopconnection/")
        page.goto(f"{base}/admin/snippets/membership/shopconnection/")
        page.screenshot(path=HERE / "admin-shops.png")
        page.locator("table.listing tbody tr a").first.click()
        page.wait_for_load_state()
        # The admin scrolls inside its own pane: a tall window shows the whole form.
        page.set_viewport_size({"width": 1280, "height": 2100})
        page.screenshot(path=HERE / "admin-shop-form.png")
        page.set_viewport_size(SIZE)

        deliver(base, "shopify_orders_paid.kanta-variant.json", "orders/paid")
        deliver(base, "shopify_refunds_create.sample.json", "refunds/create")
        deliver(base, "shopify_orders_paid.sample.json", "orders/paid")
        deliver(base, "shopify_orders_paid.sample.json", "orders/paid", secret="a wrong secret")  # noqa: S106
        page.goto(f"{base}/admin/snippets/membership/shopdelivery/")
        page.screenshot(path=HERE / "admin-deliveries.png")
        shop = browser.new_page(viewport=SIZE, locale="en-GB")
        shop.goto(f"{base}/demo-shop/")
        shop.locator("[data-kanta-reviews] >> section").wait_for()
        shop.locator("[data-kanta-reviews]").screenshot(path=HERE / "widget-reviews.png")
        # The first member the demo shop offers as its signed-in customer.
        shop.locator(".demo-customers a").nth(1).click()
        shop.goto(shop.url + "&panel=open")
        shop.locator("[data-kanta-loyalty] >> [role=dialog]").wait_for()
        shop.screenshot(path=HERE / "widget-loyalty.png")
        # A redemption through the widget: a coupon for the shop to create.
        panel = shop.locator("[data-kanta-loyalty] >> [role=dialog]")
        panel.locator("button[aria-label^='Redeem']").first.click()
        panel.get_by_role("button", name="Spend the points").click()
        panel.locator(".status").filter(has_text="Redeemed").wait_for()
        page.wait_for_timeout(4000)  # the worker's first try
        page.goto(f"{base}/admin/snippets/membership/shopcoupon/")
        page.screenshot(path=HERE / "admin-shop-coupons.png")
        browser.close()
    print(f"screenshots in {HERE}")


if __name__ == "__main__":
    main()
