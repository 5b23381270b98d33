"""Issue 15: opening a notification marks it read, in every open tab of the member.

Two tabs (pages of one browser context, so one session) show /notifications/; a click on a
notification in the first follows its link, and the second tab's bell count drops and the
row shows read without a reload (the ``notification.read`` frame on /ws/me/). A toast's link
marks read the same way. With the channel layer down the read is still saved.
"""

from __future__ import annotations

import re

import pytest

from membership.models import Notification, User
from membership.services.notifications import notification_send
from tests.factories import make_member

from .test_live_room import sign_in
from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser


def make_world() -> dict[str, int]:
    make_home_page()
    member = make_member("aino", display_name="Aino Virtanen")
    first = notification_send(recipient=member, kind="test", title="Your review was featured", url="/")
    second = notification_send(
        recipient=member, kind="test", title="You reached the Silver tier", url="/notifications/"
    )
    return {"member": member.pk, "first": first.pk, "second": second.pk}


def send_to(member_id: int, title: str) -> Notification:
    return notification_send(
        recipient=User.objects.get(pk=member_id), kind="test", title=title, url="/notifications/"
    )


def read_ids(member_id: int) -> list[int]:
    return sorted(
        Notification.objects.filter(recipient_id=member_id, read_at__isnull=False).values_list(
            "pk", flat=True
        )
    )


def test_opening_a_notification_marks_it_read_in_every_tab(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    world = live_asgi.call(make_world)
    first_tab = browser_page
    sign_in(first_tab, live_asgi.url, "aino", "/notifications/")
    second_tab = first_tab.context.new_page()
    second_tab.on("pageerror", lambda error: console.errors.append(f"uncaught (second tab): {error}"))
    second_tab.goto("/notifications/")

    for tab in (first_tab, second_tab):
        expect(tab.locator(".site-header [data-socket-status]")).to_have_attribute("data-state", "open")
        expect(tab.locator(".site-header [data-bell-count]")).to_have_text("2")
    row = second_tab.locator(f'[data-notification-id="{world["first"]}"]')
    expect(row).to_have_class(re.compile(r"notification--unread"))

    # The title is a plain link: it goes to the notification's own link after marking it read.
    first_tab.get_by_role("link", name="Your review was featured").click()
    first_tab.wait_for_url(f"{live_asgi.url}/")
    assert live_asgi.call(read_ids, world["member"]) == [world["first"]]

    # The other tab hears it: the count drops and the row reads as read, with no reload.
    expect(second_tab.locator(".site-header [data-bell-count]")).to_have_text("1")
    expect(row).not_to_have_class(re.compile(r"notification--unread"))
    expect(row.locator("[data-unread-label]")).to_have_count(0)
    other = second_tab.locator(f'[data-notification-id="{world["second"]}"]')
    expect(other).to_have_class(re.compile(r"notification--unread"))

    # A toast's link marks read too: a new notification toasts in the first tab; opening it
    # clears the last unread one everywhere, and "Mark all as read" goes away.
    expect(first_tab.locator(".site-header [data-bell-count]")).to_have_text("1")
    third = live_asgi.call(send_to, world["member"], "Someone replied to you")
    expect(second_tab.locator(".site-header [data-bell-count]")).to_have_text("2")
    toast_link = first_tab.locator("[data-toasts] .toast a.toast__link")
    expect(toast_link).to_have_attribute("href", f"/notifications/{third.pk}/open/")
    toast_link.click()
    first_tab.wait_for_url(f"{live_asgi.url}/notifications/")
    expect(second_tab.locator(f'[data-notification-id="{third.pk}"]')).not_to_have_class(
        re.compile(r"notification--unread")
    )
    expect(second_tab.locator(".site-header [data-bell-count]")).to_have_text("1")

    second_tab.get_by_role("link", name="You reached the Silver tier").click()
    second_tab.wait_for_url(f"{live_asgi.url}/notifications/")
    expect(second_tab.locator(".site-header [data-bell-count]")).to_be_hidden()
    expect(first_tab.locator(".site-header [data-bell-count]")).to_be_hidden()
    expect(first_tab.locator("[data-read-all]")).to_be_hidden()
    expect(first_tab.locator(".notification--unread")).to_have_count(0)

    assert console.errors == []
    assert live_asgi.error_messages() == []
