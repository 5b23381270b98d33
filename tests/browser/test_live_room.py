"""End to end in Chromium, three people in one live VIP Q&A room, each in their own browser
context: a VIP member asks, another VIP upvotes, a moderator highlights the question and then
marks it answered, and every browser shows every step without reloading.

Runs against the real ASGI application under daphne (tests/browser/conftest.py): the room
page, its socket (/ws/events/<slug>/), the vote batcher, the coalesced vote broadcast and
community/events/live_room.js are all the real ones; the data is made through the real services.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, make_member

from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser

SLUG = "winter-tyres-ask-the-workshop"
QUESTION = "Do studded tyres wear out faster on dry asphalt?"


def make_room() -> dict[str, int]:
    """A VIP-only live Q&A under /events/ that started a few minutes ago, two VIP members
    and a moderator."""
    from community.models import EventQuestion
    from content.events import EventAccess, EventIndexPage, EventPage
    from membership.models import Tier
    from tests.community.forum_factories import forum_member

    home = make_home_page()
    index = EventIndexPage(title="Events", slug="events", intro="Live Q&As with our workshop.")
    home.add_child(instance=index)
    index.save_revision().publish()
    now = timezone.now()
    event = EventPage(
        title="Winter tyres: ask the workshop",
        slug=SLUG,
        intro="Our workshop lead answers your questions about studded and friction tyres.",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        time_zone="Europe/Helsinki",
        access=EventAccess.TIER,
        min_tier=Tier.objects.get(slug="vip"),
    )
    index.add_child(instance=event)
    event.save_revision().publish()
    aino = forum_member("aino", tier="vip", display_name="Aino Virtanen")
    eero = forum_member("eero", tier="vip", display_name="Eero Korhonen")
    ville = make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])
    assert not EventQuestion.objects.exists()
    return {"event": event.pk, "aino": aino.pk, "eero": eero.pk, "ville": ville.pk}


def sign_in(page, base_url: str, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(f"{base_url}{next_url}")


def test_a_question_is_asked_voted_highlighted_and_answered_live_in_three_browsers(
    live_asgi, chromium, browser_page, console
):
    from playwright.sync_api import expect

    live_asgi.call(make_room)
    room_url = f"/events/{SLUG}/live/"

    contexts = []
    loads: dict[str, int] = {}  # page loads per browser once in the room: none may happen
    axe: list[tuple[str, str]] = []  # what Wagtail's userbar checker finds on the moderator's page

    def on_console(username: str, message) -> None:
        if message.type != "error" or "favicon" in message.text:
            return
        if message.text.startswith("axe.run results"):
            for violation in message.args[1].json_value():
                axe.extend((violation["id"], node["html"]) for node in violation["nodes"])
            return
        console.errors.append(f"console.error ({username}): {message.text}")

    def open_browser(username: str):
        if username == "aino":
            page = browser_page  # its console errors are collected by the fixture
        else:
            context = chromium.new_context(
                base_url=live_asgi.url, locale="en-GB", timezone_id="Europe/Helsinki"
            )
            contexts.append(context)
            page = context.new_page()
            page.on("pageerror", lambda error: console.errors.append(f"uncaught ({username}): {error}"))
            page.on("console", lambda message: on_console(username, message))
        sign_in(page, live_asgi.url, username, room_url)
        # session.ready has arrived on the room's socket.
        expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
        loads[username] = 0
        page.on("load", lambda: loads.__setitem__(username, loads[username] + 1))
        return page

    try:
        aino = open_browser("aino")
        eero = open_browser("eero")
        ville = open_browser("ville")
        everyone = {"aino": aino, "eero": eero, "ville": ville}
        for page in everyone.values():
            expect(page.locator("[data-attendees-text]")).to_have_text("3 in the room")
            expect(page.locator("[data-open-list] [data-question]")).to_have_count(0)
        # The moderator sees the runner's tools; the members do not.
        expect(ville.locator("#mute")).to_be_visible()
        expect(aino.locator("#mute")).to_have_count(0)

        # 1. Aino asks, over the socket: the page does not reload, the question reaches everyone.
        aino.locator("[data-ask-form] textarea[name=body]").fill(QUESTION)
        expect(aino.locator("[data-counter]")).to_have_text(f"{len(QUESTION)}/300")
        aino.locator("[data-ask-form] button[type=submit]").click()
        expect(aino.locator("[data-ask-form] textarea[name=body]")).to_have_value("")
        assert aino.url.endswith(room_url)
        question = {
            name: page.locator("[data-open-list] [data-question]", has_text=QUESTION)
            for name, page in everyone.items()
        }
        for name in everyone:
            expect(question[name]).to_have_count(1)
            expect(question[name].locator("[data-vote-count]")).to_have_text("0")
            expect(question[name].locator("[data-question-author]")).to_have_text("Aino Virtanen")
            expect(question[name].locator("[data-badge-vip]")).to_be_visible()
        # Nobody votes for their own question. Others hear of it; the asker is not told.
        expect(question["aino"].locator("[data-vote-button]")).to_be_disabled()
        expect(eero.locator("[data-live-announce]")).to_have_text(re.compile("New question"))
        expect(ville.locator("[data-live-announce]")).to_have_text(re.compile("New question"))
        expect(aino.locator("[data-live-announce]")).to_have_text("")

        # 2. Eero upvotes: his button is pressed at once, and the count changes for all three.
        vote = question["eero"].locator("[data-vote-button]")
        expect(vote).to_be_enabled()
        vote.click()
        expect(vote).to_have_attribute("aria-pressed", "true")
        for name in everyone:
            expect(question[name].locator("[data-vote-count]")).to_have_text("1")
        expect(question["aino"].locator("[data-vote-label]")).to_have_text("1 vote")

        # 3. Ville highlights it: the banner appears for all three.
        question["ville"].locator('[data-action="highlight"] button').click()
        for name, page in everyone.items():
            banner = page.locator("[data-highlight]")
            expect(banner).to_be_visible()
            expect(banner.locator("[data-highlight-body]")).to_have_text(QUESTION)
            expect(question[name]).to_have_attribute("data-highlighted", "")
        expect(eero.locator("[data-live-announce]")).to_have_text(re.compile("Being answered now"))
        expect(question["ville"].locator('[data-action="highlight"]')).to_be_hidden()
        expect(question["ville"].locator('[data-action="unhighlight"]')).to_be_visible()

        # 4. Ville marks it answered: it moves to the answered list and the banner goes.
        question["ville"].locator('[data-action="answered"] button').click()
        for page in everyone.values():
            answered = page.locator("[data-answered-list] [data-question]", has_text=QUESTION)
            expect(answered).to_have_count(1)
            expect(page.locator("[data-open-list] [data-question]")).to_have_count(0)
            expect(page.locator("[data-highlight]")).to_be_hidden()
            expect(answered.locator("[data-vote-count]")).to_have_text("1")
            expect(answered.locator("[data-vote-button]")).to_be_disabled()

        # The server kept the same record the pages show.
        from community.models import EventQuestion

        stored = live_asgi.call(
            lambda: list(EventQuestion.objects.values_list("body", "state", "vote_count"))
        )
        assert stored == [(QUESTION, "answered", 1)]

        # Every step went over the sockets: no browser posted a form and loaded a page.
        assert loads == {"aino": 0, "eero": 0, "ville": 0}, loads

        # A reload renders the same room from the server.
        eero.reload()
        expect(eero.locator("[data-answered-list] [data-question]", has_text=QUESTION)).to_have_count(1)
        expect(eero.locator("[data-answered-list] [data-vote-button]")).to_have_attribute(
            "aria-pressed", "true"
        )
    finally:
        for context in contexts:
            context.close()

    assert console.errors == [], console.errors
    assert live_asgi.error_messages() == [], live_asgi.error_messages()
    # The room passes the checker, the stream's placeholder included.
    assert axe == [], axe


# Wraps the page's WebSocket so a test can drop the room's socket and keep it down: while
# ``__kantaBlock`` is set, new sockets go to a closed port and fail as a lost network would.
DROPPABLE_SOCKETS = """
window.__kantaSockets = [];
window.__kantaBlock = false;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) {
    super(window.__kantaBlock ? String(url).replace(/\\/\\/[^/]+/, "//127.0.0.1:9") : url, protocols);
    window.__kantaSockets.push(this);
  }
};
"""


# The room's socket among the page's (the header's /ws/me/ is one too).
ROOM_SOCKET = "window.__kantaSockets.filter((socket) => socket.url.includes('/ws/events/')).at(-1)"
ROOM_SOCKET_URL = f"{ROOM_SOCKET}.url"


def ask(body: str) -> int:
    """Aino asks; returns the room's newest activity id (ids do not restart between tests)."""
    from community.events.services.live import question_ask
    from community.models import RoomActivity
    from content.events import EventPage
    from membership.models import User

    event = EventPage.objects.get(slug=SLUG)
    question_ask(member=User.objects.get(username="aino"), event=event, body=body)
    return RoomActivity.objects.filter(event=event).latest("id").pk


def ask_and_chat_meanwhile() -> None:
    from community.events.services.live import chat_send
    from content.events import EventPage
    from membership.models import User

    ask("Missed while you were away: tubeless or tubes?")
    aino = User.objects.get(username="aino")
    chat_send(member=aino, event=EventPage.objects.get(slug=SLUG), body="Did everyone get that?")


def test_a_dropped_socket_resumes_from_the_last_id_it_saw(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(make_room)
    room_url = f"/events/{SLUG}/live/"
    eero = browser_page
    eero.add_init_script(DROPPABLE_SOCKETS)
    # connect-src refuses the closed port's origin before the network would: a lost network all the same.
    console.csp_expected.append("ws://127.0.0.1:9/")
    sign_in(eero, live_asgi.url, "eero", room_url)
    connection = eero.locator("[data-connection]")
    expect(connection).to_have_attribute("data-state", "open")
    # The page was rendered with nothing in the room yet: it connects with ?since=0.
    assert eero.evaluate(ROOM_SOCKET_URL).endswith(f"/ws/events/{SLUG}/?since=0")

    # One question while connected: the page has seen its activity.
    seen = live_asgi.call(ask, "Studs or no studs for gravel in November?")
    expect(eero.locator("[data-open-list] [data-question]")).to_have_count(1)

    # The network goes: the room is written to meanwhile.
    eero.evaluate(f"window.__kantaBlock = true; {ROOM_SOCKET}.close()")
    expect(connection).to_have_attribute("data-state", "reconnecting")
    live_asgi.call(ask_and_chat_meanwhile)
    eero.wait_for_timeout(300)
    expect(eero.locator("[data-open-list] [data-question]")).to_have_count(1)

    # It comes back: the page resumes after the last id it saw and catches up, once each.
    eero.evaluate("window.__kantaBlock = false; window.dispatchEvent(new Event('online'))")
    expect(connection).to_have_attribute("data-state", "open")
    assert eero.evaluate(ROOM_SOCKET_URL).endswith(f"/ws/events/{SLUG}/?since={seen}")
    expect(eero.locator("[data-open-list] [data-question]")).to_have_count(2)
    expect(eero.locator("[data-open-list]")).to_contain_text("tubeless or tubes?")
    expect(eero.locator("[data-chat-list] [data-chat-message]")).to_have_count(1)
    expect(eero.locator("[data-chat-list]")).to_contain_text("Did everyone get that?")

    # The blocked attempts are the only console errors: Chromium reports each failed socket.
    errors = [line for line in console.errors if "127.0.0.1:9/" not in line]
    assert errors == [], errors
