"""End to end in Chromium, two members in two browser contexts on one thread: one replies and
the other sees the reply appear without reloading, reacts, and the first sees the count change.

Runs against the real ASGI application under daphne (tests/browser/conftest.py): the thread
socket, the reply form sent by forum.js, the server-rendered post broadcast after commit and
the reaction fetch are all the real ones.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from membership.models import User
from tests.factories import PASSWORD, make_member

from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser

REPLY = "Nokian Hakkapeliitta W240, no question."


def make_forum() -> dict[str, int]:
    from community.forum.services.posts import thread_create
    from community.models import ForumCategory

    make_home_page()
    members = {}
    for username, name in (("aino", "Aino Virtanen"), ("eero", "Eero Korhonen")):
        member = make_member(username, display_name=name)
        # Long-standing members: no new-member limits or premoderation.
        User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=400))
        members[username] = User.objects.get(pk=member.pk)
    category = ForumCategory.objects.create(name="Cycling", slug="cycling")
    thread = thread_create(
        author=members["aino"],
        category=category,
        title="Which studded tyres for icy commutes?",
        body="My commute is ice from November to March. What do you ride?",
        enforce_limits=False,
    )
    return {"thread": thread.pk}


def sign_in(page, base_url: str, username: str) -> None:
    page.goto("/accounts/login/?next=/forum/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(f"{base_url}/forum/")


def test_a_reply_and_a_reaction_reach_the_other_member_live(live_asgi, chromium, browser_page, console):
    from playwright.sync_api import expect

    ids = live_asgi.call(make_forum)
    thread_url = f"/forum/t/{ids['thread']}/"

    aino = browser_page
    sign_in(aino, live_asgi.url, "aino")
    aino.goto(thread_url)

    other = chromium.new_context(base_url=live_asgi.url, locale="en-GB", timezone_id="Europe/Helsinki")
    try:
        eero = other.new_page()
        eero.on("pageerror", lambda error: console.errors.append(f"uncaught (eero): {error}"))
        sign_in(eero, live_asgi.url, "eero")
        eero.goto(thread_url)

        # Controls follow the reader: Eero may not edit Aino's opening post, only flag it.
        opening = eero.locator(".forum-post").first
        expect(opening.locator("a.forum-own-only")).to_have_count(1)
        for control in opening.locator(".forum-own-only, .forum-needs-accept, .forum-unaccept").all():
            expect(control).to_be_hidden()
        expect(aino.locator(".forum-post").first.locator("a.forum-own-only")).to_be_visible()

        # Both sockets are open once the presence line counts the two readers.
        expect(aino.locator("[data-presence]")).to_have_text(re.compile(r"2 reading"))
        expect(eero.locator("[data-presence]")).to_have_text(re.compile(r"2 reading"))

        # Eero replies; the form is sent by forum.js, the page does not reload.
        eero.locator("[data-reply-form] textarea[name=body]").fill(REPLY)
        eero.locator("[data-reply-form] button[type=submit]").click()

        posts_a = aino.locator(".forum-post", has_text=REPLY)
        expect(posts_a).to_have_count(1)
        # The author sees it too, once (the fetch answer and the broadcast are one post).
        posts_e = eero.locator(".forum-post", has_text=REPLY)
        expect(posts_e).to_have_count(1)
        expect(eero.locator("[data-reply-form] textarea[name=body]")).to_have_value("")
        assert eero.url.endswith(thread_url)

        # Aino reacts to it; Eero's count changes.
        like = posts_a.locator('[data-reaction="like"]')
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true")
        expect(posts_a.locator('[data-count="like"]')).to_have_text("1")
        expect(posts_e.locator('[data-count="like"]')).to_have_text("1")
    finally:
        other.close()

    assert console.errors == [], console.errors


def lock_unlock_delete_forum() -> dict[str, int]:
    from community.forum.services.posts import post_create
    from community.models import Thread

    ids = make_forum()
    thread = Thread.objects.get(pk=ids["thread"])
    aino = User.objects.get(username="aino")
    answer, later = (
        post_create(author=aino, thread=thread, body=body, enforce_limits=False)
        for body in ("Adding: I ride 2.2 bar.", "And I carry a spare tube.")
    )
    make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])
    return {**ids, "answer": answer.pk, "later": later.pk}


def moderate(action: str, thread_id: int, post_id: int) -> None:
    from community.forum.services import moderation
    from community.models import Post, Thread

    moderator = User.objects.get(username="ville")
    thread = Thread.objects.get(pk=thread_id)
    post = Post.objects.select_related("thread__category", "author").get(pk=post_id)
    if action == "lock":
        moderation.thread_lock(thread=thread, moderator=moderator, reason="Cooling down.")
    elif action == "unlock":
        moderation.thread_unlock(thread=thread, moderator=moderator)
    elif action == "hide":
        moderation.post_hide(post=post, moderator=moderator, reason="Checking a claim.")
    elif action == "unhide":
        moderation.post_unhide(post=post, moderator=moderator)
    else:
        moderation.post_delete(post=post, actor=post.author)


def test_moderation_reaches_the_reader_live_in_place(live_asgi, browser_page, console):
    """Lock and unlock, hide and show again, and an author's deletion, as a reader sees them
    without reloading: the reply box goes and comes back, a post shown again returns to its
    place, and the reader who was on a deleted post keeps their place."""
    from playwright.sync_api import expect

    ids = live_asgi.call(lock_unlock_delete_forum)
    eero = browser_page
    sign_in(eero, live_asgi.url, "eero")
    eero.goto(f"/forum/t/{ids['thread']}/")
    expect(eero.locator("[data-presence]")).to_have_text(re.compile(r"1 reading"))  # the socket is open
    form = eero.locator("[data-reply-form]")

    live_asgi.call(moderate, "lock", ids["thread"], ids["answer"])
    expect(form).to_be_hidden()
    expect(eero.locator("[data-reply-refusal]")).to_have_text("This thread is locked: no new replies.")
    expect(eero.locator('[data-flag="locked"]')).to_be_visible()
    live_asgi.call(moderate, "unlock", ids["thread"], ids["answer"])
    expect(form).to_be_visible()
    expect(eero.locator("[data-reply-refusal]")).to_have_count(0)

    answer = eero.locator(f"#post-{ids['answer']}")
    live_asgi.call(moderate, "hide", ids["thread"], ids["answer"])
    expect(answer).to_have_text("This post was removed by a moderator.")
    live_asgi.call(moderate, "unhide", ids["thread"], ids["answer"])
    expect(answer.locator(".forum-post__body")).to_have_text("Adding: I ride 2.2 bar.")
    numbers = eero.locator("article.forum-post").evaluate_all("els => els.map(el => el.dataset.number)")
    assert numbers == ["1", "2", "3"], numbers

    # Aino deletes her own reply: it goes, and says so (not "removed by a moderator").
    eero.locator(f"#post-{ids['later']} [data-reaction=like]").focus()
    live_asgi.call(moderate, "delete", ids["thread"], ids["later"])
    gone = eero.locator(f"#post-{ids['later']}")
    expect(gone).to_have_text("This post was deleted.")
    expect(gone).to_be_focused()  # the reader who was on it is not thrown to the top
    assert console.errors == [], console.errors
