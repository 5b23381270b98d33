"""Issue 15 in Chromium: counts read like language. The badge catalogue said "1 steps",
"1 friends" and "1 published reviews" (and "1 askelta" in Finnish), and a new post said
"0 minutes ago"; the page a reader sees must use the plural form the number takes, in both
languages, and "just now" for a fresh time."""

from __future__ import annotations

import re

import pytest

from .test_forum_live import make_forum

pytestmark = pytest.mark.browser

# A number followed by the plural of a unit whose threshold is 1: what the catalogue used to say.
WRONG_ENGLISH = re.compile(
    r"\b1 (steps|friends|published reviews|threads started|accepted answers|live events)\b"
)
WRONG_FINNISH = re.compile(r"\b1 (vaihetta|ystävää|julkaistua arvostelua|askelta|vuotta)\b")


def read_in(page, live_asgi, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_asgi.url}])


def test_counts_take_their_plural_form_and_fresh_times_say_just_now(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    live_asgi.call(make_forum)
    page = browser_page

    page.goto("/badges/")
    main = page.locator("main")
    expect(main).to_contain_text("1 step")
    expect(main).to_contain_text("1 friend")
    expect(main).to_contain_text("1 published review")
    expect(main).to_contain_text("10 published reviews")
    assert not WRONG_ENGLISH.search(main.inner_text())

    page.goto("/forum/cycling/")
    expect(page.locator(".forum-thread-row__activity time").first).to_have_text("just now")

    read_in(page, live_asgi, "fi")
    page.goto("/badges/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(main).to_contain_text("1 vaihe")
    expect(main).to_contain_text("1 ystävä")
    expect(main).to_contain_text("1 julkaistu arvostelu")
    expect(main).to_contain_text("10 julkaistua arvostelua")
    assert not WRONG_FINNISH.search(main.inner_text())

    page.goto("/forum/cycling/")
    expect(page.locator(".forum-thread-row__activity time").first).to_have_text("juuri nyt")
    assert console.errors == []
