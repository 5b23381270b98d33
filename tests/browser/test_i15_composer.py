"""Issue 15, the forum's composer in Chromium: the formatting toolbar writes Markdown (and is
one Tab stop with arrow keys), the preview shows the server's sanitised HTML, a draft
survives a reload and every kind of failed submit (a network error, a rate limit, a
validation error) and goes only once the server has the post; and a post's Flag and Delete
sit in one row with its reactions.

Runs against the real ASGI application under daphne (tests/browser/conftest.py).
"""

from __future__ import annotations

import re

import pytest

from membership.models import User

from .test_forum_live import make_forum, sign_in

pytestmark = pytest.mark.browser

BODY = "[data-reply-form] textarea[name=body]"
DRAFT_PREFIX = "kanta.forum.draft:"


def drafts(page) -> dict[str, str]:
    return page.evaluate(
        """(prefix) => Object.fromEntries(Object.keys(localStorage)
            .filter((key) => key.startsWith(prefix))
            .map((key) => [key.slice(prefix.length), JSON.parse(localStorage.getItem(key)).body]))""",
        DRAFT_PREFIX,
    )


def unexpected(errors: list[str], *expected: str) -> list[str]:
    """Console errors other than Chromium's report of the failed requests a test causes."""
    return [line for line in errors if not any(f"{part} (http" in line for part in expected)]


def member_id(username: str) -> int:
    return User.objects.get(username=username).pk


def test_toolbar_writes_markdown_and_preview_shows_sanitised_html(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    ids = live_asgi.call(make_forum)
    page = browser_page
    sign_in(page, live_asgi.url, "eero")
    page.goto(f"/forum/t/{ids['thread']}/")
    body = page.locator(BODY)
    toolbar = page.get_by_role("toolbar", name="Formatting")

    body.fill("word")
    body.press("Control+a")
    toolbar.get_by_role("button", name="Bold").click()
    expect(body).to_have_value("**word**")
    # The shortcut, on the selection the button left (the word inside the markers).
    body.press("Control+i")
    expect(body).to_have_value("***word***")

    body.fill("Crossing the lake\none\ntwo")
    body.evaluate("(el) => el.setSelectionRange(el.value.indexOf('one'), el.value.length)")
    toolbar.get_by_role("button", name="Bulleted list").click()
    # Markdown needs a blank line between a paragraph and a list: the toolbar adds it.
    expect(body).to_have_value("Crossing the lake\n\n- one\n- two")

    body.fill("first\nsecond")
    body.press("Control+a")
    toolbar.get_by_role("button", name="Numbered list").click()
    expect(body).to_have_value("1. first\n2. second")

    body.fill("our map")
    body.press("Control+a")
    toolbar.get_by_role("button", name="Link").click()
    page.keyboard.type("https://example.com/map")  # the URL part was selected
    expect(body).to_have_value("[our map](https://example.com/map)")

    body.fill("a quote")
    body.press("Control+a")
    toolbar.get_by_role("button", name="Quote").click()
    expect(body).to_have_value("> a quote")
    body.fill("run()")
    body.press("Control+a")
    toolbar.get_by_role("button", name="Code").click()
    expect(body).to_have_value("`run()`")

    # One Tab stop: arrow keys move along the toolbar, Home and End go to its ends.
    bold = toolbar.get_by_role("button", name="Bold")
    bold.focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button", name="Numbered list")).to_be_focused()
    assert toolbar.locator("button[tabindex='0']").count() == 1

    # Preview: the server's rendering, with the script shown as text and never run.
    body.fill("**Strong** words <script>window.composerRan = 1</script>")
    tabs = page.get_by_role("tablist", name="Write or preview")
    preview_tab = tabs.get_by_role("tab", name="Preview")
    preview_tab.click()
    expect(preview_tab).to_have_attribute("aria-selected", "true")
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.locator("strong")).to_have_text("Strong")
    expect(panel).to_contain_text("<script>window.composerRan = 1</script>")
    assert panel.locator("script").count() == 0
    assert page.evaluate("window.composerRan") is None
    expect(body).to_be_hidden()
    # Arrow keys move between the tabs and select them.
    page.keyboard.press("ArrowLeft")
    write_tab = tabs.get_by_role("tab", name="Write")
    expect(write_tab).to_be_focused()
    expect(write_tab).to_have_attribute("aria-selected", "true")
    expect(preview_tab).to_have_attribute("tabindex", "-1")
    expect(body).to_be_visible()
    assert console.errors == [], console.errors


def test_a_reply_draft_survives_reload_network_error_and_rate_limit_and_goes_once_posted(
    live_asgi, browser_page, console, settings
):
    from playwright.sync_api import expect

    # One reply per ten minutes: the second reply below is refused, however slow the machine.
    settings.KANTA_FORUM_POST_INTERVAL = 600
    ids = live_asgi.call(make_forum)
    eero_id = live_asgi.call(member_id, "eero")
    key = f"{eero_id}:reply:{ids['thread']}"
    page = browser_page
    sign_in(page, live_asgi.url, "eero")
    page.goto(f"/forum/t/{ids['thread']}/")
    body = page.locator(BODY)
    form = page.locator("[data-reply-form]")
    note = form.locator("[data-composer-draft]")

    first = "Studded Nokians, 2.2 bar, no question."
    body.fill(first)
    expect(note).to_have_text("Draft saved on this device.")
    page.reload()
    expect(body).to_have_value(first)
    expect(note).to_contain_text("Your unsaved draft is back.")
    assert drafts(page) == {key: first}

    # The network fails: the text stays, with an error in the one error style.
    page.route("**/reply/", lambda route: route.abort())
    form.get_by_role("button", name="Post reply").click()
    error = form.locator(".alert.alert--error[role=alert]")
    expect(error).to_contain_text("Could not reach the server")
    expect(body).to_have_value(first)
    page.unroute("**/reply/")

    # Posted: the box empties, the draft goes, the result is a status in the same slot.
    form.get_by_role("button", name="Post reply").click()
    expect(page.locator(".forum-post", has_text=first)).to_have_count(1)
    expect(body).to_have_value("")
    expect(form.locator(".alert.alert--success[role=status]")).to_have_text("Your reply is posted.")
    expect(error).to_have_count(0)  # the new status replaced the error
    assert drafts(page) == {}
    page.reload()
    expect(body).to_have_value("")

    # Too soon: refused (429), the same red alert, and the text stays (and survives a reload).
    second = "And carry a spare tube, always."
    body.fill(second)
    form.get_by_role("button", name="Post reply").click()
    expect(form.locator(".alert.alert--error[role=alert]")).to_contain_text("You are posting too quickly")
    expect(body).to_have_value(second)
    page.reload()
    expect(body).to_have_value(second)
    assert drafts(page) == {key: second}
    failed = unexpected(console.errors, "net::ERR_FAILED", "status of 429 (Unknown Status)")
    assert failed == [], console.errors


def test_a_new_thread_draft_survives_a_refused_post_and_goes_with_the_success_redirect(
    live_asgi, browser_page, console
):
    from playwright.sync_api import expect

    live_asgi.call(make_forum)
    eero_id = live_asgi.call(member_id, "eero")
    page = browser_page
    sign_in(page, live_asgi.url, "eero")
    page.goto("/forum/new/?category=cycling")
    title = page.locator("input[name=title]")
    body = page.locator("textarea[name=body]")
    text = "Tubeless or tubes for a winter of frozen gravel?"

    title.fill("Hi")
    body.fill(text)
    page.locator("select[name=category]").select_option(label="Cycling")
    page.get_by_role("button", name="Start the thread").click()
    # Shown again by the server (the title is too short), with the text and a red alert.
    expect(page.locator(".alert.alert--error[role=alert]")).to_be_visible()
    expect(page.locator(".field__error")).to_contain_text("at least 5 characters")
    expect(body).to_have_value(text)
    expect(title).to_have_value("Hi")

    # Coming back to the form brings the draft back, title too.
    page.goto("/forum/new/?category=cycling")
    expect(body).to_have_value(text)
    expect(title).to_have_value("Hi")
    assert drafts(page) == {f"{eero_id}:new:cycling": text}

    title.fill("Tubeless or tubes in winter?")
    page.locator("select[name=category]").select_option(label="Cycling")
    page.get_by_role("button", name="Start the thread").click()
    page.wait_for_url(re.compile(r"/forum/t/\d+/"))
    expect(page.locator(".forum-post", has_text=text)).to_have_count(1)
    # The success redirect's cookie named the draft: the thread page's script removed both.
    page.wait_for_function("() => !document.cookie.includes('kanta_forum_draft_sent')")
    assert drafts(page) == {}
    page.goto("/forum/new/?category=cycling")
    expect(body).to_have_value("")
    assert unexpected(console.errors, "status of 400 (Bad Request)") == [], console.errors


def reply_by_eero(thread_id: int) -> int:
    from community.forum.services.posts import post_create
    from community.models import Thread

    eero = User.objects.get(username="eero")
    return post_create(
        author=eero, thread=Thread.objects.get(pk=thread_id), body="Mine: W240.", enforce_limits=False
    ).pk


def test_flag_and_delete_share_the_row_with_the_reactions(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    ids = live_asgi.call(make_forum)
    reply_id = live_asgi.call(reply_by_eero, ids["thread"])
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_asgi.url, "eero")
    page.goto(f"/forum/t/{ids['thread']}/")

    def same_row(post, control_name: str) -> None:
        control = post.get_by_role("link", name=control_name, exact=True)
        expect(control).to_be_visible()
        like = post.locator("[data-reaction=like]").bounding_box()
        box = control.bounding_box()
        assert abs(box["y"] - like["y"]) < 4, (control_name, box, like)
        assert box["x"] > like["x"] + like["width"], (control_name, box, like)

    same_row(page.locator(".forum-post").first, "Flag")  # Aino's post, to Eero
    same_row(page.locator(f"#post-{reply_id}"), "Delete")  # Eero's own reply

    # On a phone the row wraps inside the post instead of pushing the page sideways.
    page.set_viewport_size({"width": 360, "height": 800})
    post = page.locator(f"#post-{reply_id}")
    expect(post.get_by_role("link", name="Delete", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert console.errors == [], console.errors


def test_logging_out_leaves_no_draft_on_the_device(live_asgi, browser_page, console):
    from playwright.sync_api import expect

    ids = live_asgi.call(make_forum)
    page = browser_page
    sign_in(page, live_asgi.url, "eero")
    page.goto(f"/forum/t/{ids['thread']}/")
    page.locator(BODY).fill("Half a thought about studs, never sent.")
    note = page.locator("[data-reply-form] [data-composer-draft]")
    expect(note).to_have_text("Draft saved on this device.")
    assert len(drafts(page)) == 1

    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".header-actions")).to_contain_text("Log in")
    assert drafts(page) == {}
    assert console.errors == []
