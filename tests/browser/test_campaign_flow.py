"""End to end in Chromium: a campaign with a coupon, from the segment to the report.

A member of Staff builds a segment in the Wagtail admin (marketing consent, bought the studded
tyre), watching the count of members follow the conditions; creates a one-off campaign for it
that gives a coupon, with a holdout, and sends it. A member the draw put among the recipients
signs in and finds the message and the coupon code in the app; the email is in the outbox with
its one-click unsubscribe headers, and nobody in the holdout got anything. The next day the shop
checks and uses the coupon through the signed coupon API and reports the order with its code;
a week later Staff open the campaign's report, which counts that purchase as the recipients'
one conversion in seven days.

Runs against the real ASGI application under daphne (tests/browser/conftest.py): the admin
pages, the sending (tasks run inline under the test settings), the notification, the email
and the shop API are the real ones. The week passes with time_machine, which moves the
process's clock, the server threads' included.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from content.models import Product
from membership.campaigns.consent import consent_set
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate, MessageText
from membership.models import Notification, Order, Reward
from membership.services.orders import LineData, order_receive
from tests.browser.test_guide_review_flow import admin_login
from tests.browser.test_notifications_toast import make_home_page
from tests.factories import PASSWORD, make_member
from tests.membership.shop import shop_signature

pytestmark = pytest.mark.browser

PRODUCT = "Kivi W240 studded tyre"
SKU = "PK-240"
OTHER_PRODUCT = "Lumi merino beanie"
SEGMENT = "Studded tyre buyers who said yes"
CAMPAIGN = "Winter tyre offer"
MESSAGE = "Winter tyre offer"
REWARD = "Winter offer: 20 % off"
SUBJECT = "{name}, your winter offer is here"
# Buyers of the tyre who agreed to marketing: the segment. Enough of them that the draw leaves
# recipients even with a quarter held out (all held out: 0.25 ** 12, about one in 17 million).
BUYERS = [
    ("aino", "Aino Virtanen"),
    ("eero", "Eero Mäkinen"),
    ("ilona", "Ilona Korhonen"),
    ("juha", "Juha Nieminen"),
    ("kaisa", "Kaisa Laine"),
    ("lauri", "Lauri Heikkinen"),
    ("minna", "Minna Koskinen"),
    ("otso", "Otso Järvinen"),
    ("pirjo", "Pirjo Lehtonen"),
    ("risto", "Risto Saarinen"),
    ("satu", "Satu Salminen"),
    ("tuomas", "Tuomas Heinonen"),
]
HOLDOUT_PERCENT = 25


def setup_world() -> None:
    """The site, the catalogue, the gift and the message Staff will pick, the members and their
    past orders (imported history: no notifications), and a member of Staff."""
    make_home_page()
    Product.objects.create(name=PRODUCT, slug="kivi-w240", sku=SKU, price=Decimal("89.00"))
    Product.objects.create(name=OTHER_PRODUCT, slug="lumi-beanie", sku="PK-BEANIE", price=Decimal("29.00"))
    # A gift-only reward: not in the catalogue (inactive), costs no points.
    Reward.objects.create(
        name=REWARD,
        kind=Reward.Kind.PERCENT,
        value=Decimal("20"),
        cost=0,
        active=False,
        description="Given by the winter tyre campaign.",
    )
    message = MessageTemplate.objects.create(
        name=MESSAGE, key="winter-offer", button_url="/rewards/", button_label="See your rewards"
    )
    MessageText.objects.create(
        message=message,
        language="en",
        subject=SUBJECT,
        preheader="20 % off with the code {coupon_code}.",
        body=(
            "<p>Hi {name},</p><p>Thanks for riding on our studs. Here is {coupon_value} for the rest "
            "of the winter.</p><p>Your code: <b>{coupon_code}</b>, valid until {coupon_expires}.</p>"
        ),
        button_label="See your rewards",
    )
    long_ago = timezone.now() - timedelta(days=40)

    def bought(member_email: str, n: int, sku: str = SKU, price: str = "89.00") -> None:
        order_receive(
            external_id=f"HIST-{n}",
            email=member_email,
            status="paid",
            currency="EUR",
            total=Decimal(price),
            created_at=long_ago,
            lines=[LineData(sku=sku, quantity=1, price=Decimal(price))],
            notify=False,
        )

    for n, (username, name) in enumerate(BUYERS, start=1):
        member = make_member(username, display_name=name)
        consent_set(member=member, consent=True)
        bought(member.email, n)
    # Said yes but bought something else; bought the tyre but never said yes.
    pekka = make_member("pekka", display_name="Pekka Lindholm")
    consent_set(member=pekka, consent=True)
    bought(pekka.email, 100, sku="PK-BEANIE", price="29.00")
    riikka = make_member("riikka", display_name="Riikka Hakala")
    bought(riikka.email, 101)
    make_member("sanna", display_name="Sanna Staff", groups=["Staff"])


def campaign_rows(name: str) -> dict[str, Any]:
    """Who the campaign put in which group, and what each row became (read on the server)."""
    campaign = Campaign.objects.get(name=name)
    rows = CampaignRecipient.objects.filter(campaign=campaign).select_related("member", "gift__redemption")
    return {
        "id": campaign.pk,
        "state": campaign.state,
        "treatment": [
            {
                "username": row.member.username,
                "email": row.member.email,
                "name": row.member.display_name,
                "state": row.state,
                "code": row.gift.redemption.coupon_code if row.gift and row.gift.redemption else None,
            }
            for row in rows
            if row.group == CampaignRecipient.Group.TREATMENT
        ],
        "holdout": [
            {
                "username": row.member.username,
                "email": row.member.email,
                "state": row.state,
                "gift": row.gift_id,
            }
            for row in rows
            if row.group == CampaignRecipient.Group.HOLDOUT
        ],
    }


def campaign_notifications(username: str) -> list[dict[str, str]]:
    return list(
        Notification.objects.filter(recipient__username=username, kind="campaign").values("title", "body")
    )


def order_stored(external_id: str) -> tuple[str, str]:
    order = Order.objects.select_related("member").get(external_id=external_id)
    return order.member.username, order.coupon_code


def shop_call(base_url: str, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
    """One signed call to /api/v1/, as the shop makes it (docs/api.md)."""
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = shop_signature(method, path, body)
    if payload is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (our own test server, http only)
        f"{base_url}{path}", data=body if method == "POST" else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def figures(scope: Any, row: str) -> Any:
    """The figure cells of the report table row headed ``row``, inside ``scope``."""
    header = scope.page.get_by_role("rowheader", name=row, exact=True)
    return scope.get_by_role("row").filter(has=header).get_by_role("cell")


def member_login(page: Any, username: str, base_url: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def test_staff_send_a_coupon_campaign_and_its_report_counts_the_member_who_used_it(
    live_asgi, chromium, browser_page, console
):
    from playwright.sync_api import expect

    from tests.browser.conftest import BROWSER_TIMEOUT_MS

    live_asgi.call(setup_world)
    staff = browser_page

    # 1. Staff build the segment; the count follows the conditions as they change.
    admin_login(staff, "sanna")
    staff.goto("/admin/campaigns/segments/")
    staff.get_by_role("link", name="New segment").click()
    staff.get_by_label("Name", exact=True).fill(SEGMENT)
    count = staff.locator("[data-segment-count]")
    staff.get_by_label("Opted in to marketing email").select_option(label="Yes")
    # The twelve buyers and Pekka said yes; Riikka and Sanna did not.
    expect(count).to_have_text(f"{len(BUYERS) + 1} members match.")
    staff.get_by_label("Bought one of these products").select_option(label=PRODUCT)
    expect(count).to_have_text(f"{len(BUYERS)} members match.")
    staff.get_by_role("button", name="Save", exact=True).click()

    # The segment's members, listed.
    expect(staff.get_by_text(f"Segment “{SEGMENT}” saved.")).to_be_visible()
    expect(staff.get_by_role("status").filter(has_text="members now")).to_contain_text(
        f"{len(BUYERS)} members now."
    )
    members = staff.get_by_role("table", name="The segment's members, by email")
    expect(members.get_by_role("rowheader")).to_have_count(len(BUYERS))
    expect(members.get_by_role("rowheader", name="aino@example.com")).to_be_visible()
    expect(members.get_by_role("rowheader", name="riikka@example.com")).to_have_count(0)
    expect(members.get_by_role("rowheader", name="pekka@example.com")).to_have_count(0)

    # 2. A one-off campaign to it: the message, a coupon, a quarter held out; sent now.
    staff.get_by_role("link", name="New campaign to this segment").click()
    staff.get_by_label(re.compile(r"^Name")).fill(CAMPAIGN)
    expect(staff.get_by_label(re.compile(r"^Segment")).locator("option:checked")).to_have_text(SEGMENT)
    staff.get_by_label(re.compile(r"^Message")).select_option(label=MESSAGE)
    staff.get_by_label("Gift a reward").select_option(label=f"{REWARD} (gift only)")
    staff.get_by_label("Holdout, %").fill(str(HOLDOUT_PERCENT))
    staff.get_by_role("button", name="Send now").click()

    # The campaign's page: sent (the worker's tasks run inline under the test settings).
    expect(staff.get_by_text(f"“{CAMPAIGN}” is being sent.")).to_be_visible()
    expect(staff.locator("[data-progress-state]")).to_have_text("sent")

    sent = live_asgi.call(campaign_rows, CAMPAIGN)
    assert sent["state"] == Campaign.State.SENT
    treatment, holdout = sent["treatment"], sent["holdout"]
    assert len(treatment) + len(holdout) == len(BUYERS)
    assert treatment, "the draw held every member out"
    assert {row["state"] for row in treatment} == {CampaignRecipient.State.SENT}
    assert {row["state"] for row in holdout} <= {CampaignRecipient.State.HELD_OUT}
    assert [row["gift"] for row in holdout if row["gift"]] == []
    progress = staff.locator(".campaigns-progress__counts")
    expect(progress.locator("[data-field=treatment]")).to_have_text(str(len(treatment)))
    expect(progress.locator("[data-field=holdout]")).to_have_text(str(len(holdout)))
    expect(progress.locator("[data-field=sent]")).to_have_text(str(len(treatment)))
    expect(progress.locator("[data-field=emailed]")).to_have_text(str(len(treatment)))
    expect(progress.locator("[data-field=queued]")).to_have_text("0")
    member = treatment[0]
    code = member["code"]
    assert code

    # 3. The email: one per recipient, none for the holdout, the coupon in it, one-click
    # unsubscribe headers (RFC 8058).
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        row["email"] for row in treatment
    )
    email = next(message for message in mail.outbox if message.to == [member["email"]])
    subject = SUBJECT.format(name=member["name"])
    assert email.subject == subject
    assert code in email.body
    assert re.fullmatch(r"<https?://\S+/email/unsubscribe/\S+/>", email.extra_headers["List-Unsubscribe"])
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = next(content for content, kind in email.alternatives if kind == "text/html")
    assert code in html

    # 4. The member signs in (a browser of their own) and finds it in the app.
    context = chromium.new_context(base_url=live_asgi.url, locale="en-GB", timezone_id="Europe/Helsinki")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    reader = context.new_page()
    reader.on("pageerror", lambda error: console.errors.append(f"member page: {error}"))
    member_login(reader, member["username"], live_asgi.url)
    expect(reader.locator(".site-header [data-bell-count]")).to_be_visible()
    reader.goto("/notifications/")
    notice = reader.locator(".notification", has_text=subject)
    expect(notice.locator(".notification__title")).to_have_text(subject)
    expect(notice.locator(".notification__text")).to_contain_text(code)
    context.close()
    assert live_asgi.call(campaign_notifications, member["username"])
    for row in holdout:
        assert live_asgi.call(campaign_notifications, row["username"]) == []

    with time_machine.travel(timezone.now(), tick=True) as clock:
        # 5. The next day the shop checks the code, uses it at checkout and reports the order.
        clock.shift(timedelta(days=1))
        status, coupon = shop_call(live_asgi.url, "GET", f"/api/v1/coupons/{code}/")
        assert status == 200, coupon
        assert coupon["valid"] is True
        assert coupon["reward"] == REWARD
        assert coupon["expires_at"]
        status, used = shop_call(live_asgi.url, "POST", f"/api/v1/coupons/{code}/use/")
        assert status == 200, used
        assert used["used"] is True
        order = {
            "id": "POLKU-2001",
            "email": member["email"],
            "status": "paid",
            "currency": "EUR",
            "total": "71.20",
            "created_at": timezone.now().isoformat(),
            "lines": [{"sku": SKU, "quantity": 1, "price": "71.20"}],
            "coupon_code": code,
        }
        status, receipt = shop_call(live_asgi.url, "POST", "/api/v1/orders/", order)
        assert status == 201, receipt
        assert receipt["linked"] is True
        # Read on the server, which also lets the order's request finish before the clock
        # jumps (daphne would call a request still closing after a week "too slow" and kill it).
        assert live_asgi.call(order_stored, "POLKU-2001") == (member["username"], code)

        # 6. A week after the sending, Staff open the report: one recipient bought within 7 days.
        clock.shift(timedelta(days=7))
        staff.goto(f"/admin/campaigns/{sent['id']}/report/")
        expect(staff.get_by_role("heading", name="Campaign report")).to_be_visible()
        groups = staff.get_by_role("table", name="The two groups")
        recipients, held = str(len(treatment)), str(len(holdout))
        expect(figures(groups, "Recipients")).to_have_text([recipients, recipients])
        expect(figures(groups, "Holdout (sent nothing)")).to_have_text([held, "0"])
        week = staff.get_by_role("region", name="Within 7 days of entering")
        expect(figures(week, "Members counted")).to_have_text([recipients, held])
        expect(figures(week, "Still inside the window (not counted yet)")).to_have_text(["0", "0"])
        expect(figures(week, "Bought")).to_have_text(["1", "0"])
        expect(figures(week, "Conversion")).to_have_text(
            [f"{100 / len(treatment):.1f} %", "0.0 %" if holdout else "—"]
        )
        expect(figures(week, "Revenue")).to_have_text(["71.20 EUR", "0.00 EUR"])
        # With so few members the report says so instead of guessing an uplift.
        verdict = "Too few members to tell yet" if holdout else "No holdout, nothing to compare with"
        expect(week.get_by_role("status")).to_contain_text(verdict)
        # The 30- and 60-day windows have not ended for anybody yet.
        month = staff.get_by_role("region", name="Within 30 days of entering")
        expect(figures(month, "Still inside the window (not counted yet)")).to_have_text([recipients, held])
        expect(staff.get_by_text(f"(1 of {recipients} coupons given")).to_be_visible()

    assert console.errors == []
    assert live_asgi.error_messages() == []
