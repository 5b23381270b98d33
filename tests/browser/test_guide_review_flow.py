"""End to end in Chromium: a buying guide goes live only through Guide review.

An editor builds a guide with a product pick in the Wagtail admin (StreamField block,
snippet chooser modal) and submits it to Guide review, with no Publish action on offer; the
guide stays off /guides/. The submitter gets no Approve action on their own guide; a second
editor approves it from the dashboard, and only then is it listed and rendered publicly.

Runs against the real ASGI application under daphne (tests/browser/conftest.py): the
hooks in content/wagtail_hooks.py, the SecondEditorApprovalTask and the admin's JavaScript
are all the real ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from wagtail.models import Page, Site, TaskState, Workflow, WorkflowState

from content.models import BuyingGuidePage, GuideIndexPage, HomePage
from content.workflows import GUIDE_REVIEW, guide_review_assign
from tests.content.conftest import make_product, publish
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser

PRODUCT = "Kivi W240 studded tyre"
TITLE = "Best studded tyres for winter commuting"
SLUG = "best-studded-tyres-for-winter-commuting"
INTRO = "How to choose studded tyres that keep you riding from November to April."
VERDICT = "The studs bite on sheet ice and the tyre still rolls well on dry asphalt."
PRO = "Grips on black ice"
BEST_FOR = "Daily winter commuters"


def make_guide_review_site() -> dict[str, Any]:
    """Home page as the default site, /guides/ under Guide review, a product and two editors."""
    root = Page.get_first_root_node()
    home = HomePage(title="Polku Outdoor community", slug="kanta-home", hero_heading="Find your trail.")
    root.add_child(instance=home)
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True, hostname="localhost")
    site.root_page = home
    site.save()
    guides = publish(home, GuideIndexPage(title="Buying guides", slug="guides", intro="Tested picks."))
    # Created by content/migrations/0003; serialized rollback must have put it back.
    workflow = Workflow.objects.filter(name=GUIDE_REVIEW, active=True).first()
    guide_review_assign(guide_index=guides)
    # No image: /media/ is not served with DEBUG off, and a broken image is a console error.
    product = make_product(name=PRODUCT, slug="kivi-w240", image=None)
    make_member("editor", groups=["Editors"])
    make_member("editor2", groups=["Editors"])
    return {
        "guides_id": guides.pk,
        "product_id": product.pk,
        "workflow": workflow.name if workflow else None,
        "index_workflow": (guides.get_workflow() or Workflow(name="")).name,
    }


def guide_review_state(title: str) -> dict[str, Any] | None:
    """Where the guide stands, read on the server side."""
    guide = BuyingGuidePage.objects.filter(title=title).first()
    if guide is None:
        return None
    state = WorkflowState.objects.for_instance(guide).order_by("-created_at").first()
    task_state = TaskState.objects.filter(workflow_state=state).order_by("-started_at").first()
    return {
        "pk": guide.pk,
        "live": guide.live,
        "url": guide.url,
        "picked_products": [
            block.value["product"].name for block in guide.body if block.block_type == "product_pick"
        ],
        "workflow": state.workflow.name if state else None,
        "status": state.status if state else None,
        "requested_by": state.requested_by.username if state else None,
        "finished_by": task_state.finished_by.username if task_state and task_state.finished_by else None,
    }


def admin_login(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name=username, level=2)).to_be_visible()


def open_action_menu(page: Any) -> Any:
    """Open the editor footer's "More actions" dropdown and return the footer."""
    footer = page.get_by_role("navigation", name="Actions (footer)")
    footer.get_by_role("button", name="More actions").click()
    return footer


@pytest.fixture
def other_page(request, live_asgi, chromium, console) -> Iterator[Callable[[str], Any]]:
    """Opens more pages, each in a context of its own (its own session), like ``browser_page``.

    Console errors land in the same ``console``; on failure each page leaves a screenshot
    in test-results/ next to the one ``browser_page`` takes.
    """
    from tests.browser.conftest import BROWSER_TIMEOUT_MS

    pages: dict[str, Any] = {}

    def open_page(name: str) -> Any:
        context = chromium.new_context(base_url=live_asgi.url, locale="en-GB", timezone_id="Europe/Helsinki")
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        page = context.new_page()

        def on_console(message: Any) -> None:
            if message.type == "error" and "favicon" not in message.text.lower():
                console.errors.append(f"console.error ({name}): {message.text} ({page.url})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: console.errors.append(f"uncaught ({name}): {error}"))
        pages[name] = page
        return page

    yield open_page

    report = getattr(request.node, "_report_call", None)
    for name, page in pages.items():
        if report is not None and report.failed:
            print(f"{name} page url at failure: {page.url}")
            out = Path(request.config.rootpath) / "test-results"
            out.mkdir(exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            try:
                page.screenshot(path=str(out / f"{stem}-{name}.png"), full_page=True)
            except Exception as exc:  # the screenshot must not hide the real failure
                print(f"screenshot of {name} failed: {exc!r}")
        page.context.close()


def test_editor_submits_a_guide_a_second_editor_approves_it_and_it_goes_live(
    live_asgi, browser_page, other_page, console, settings
):
    from playwright.sync_api import expect

    # Hermetic admin: no avatars fetched from gravatar.com (no network here; it would be a
    # console error). And no autosave: Wagtail 8 autosaves a new page ~1 s after an edit
    # pause and moves the form to the edit view, so whether "Submit" creates the page or
    # updates an autosaved draft would depend on timing. The server shares these settings.
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0

    setup = live_asgi.call(make_guide_review_site)
    assert setup["workflow"] == GUIDE_REVIEW, "the Guide review workflow from the data migration is missing"
    assert setup["index_workflow"] == GUIDE_REVIEW

    # --- 1. The editor writes the guide and submits it to Guide review. ---------------------
    page = browser_page
    admin_login(page, "editor")
    page.goto(f"/admin/pages/add/content/buyingguidepage/{setup['guides_id']}/")
    expect(page.get_by_role("heading", name="New: Buying guide", level=1)).to_be_visible()
    edit_form = page.locator("form[data-edit-form]")
    expect(edit_form).not_to_have_attribute("data-controller", re.compile("autosave"))
    page.get_by_role("textbox", name="Title").fill(TITLE)
    page.get_by_role("textbox", name="Introduction").fill(INTRO)

    body = page.get_by_role("region", name="Body", exact=True)
    body.get_by_role("button", name="Insert a block").click()
    body.get_by_role("option", name="Product pick").click()
    pick = body.get_by_role("region", name="Product pick")
    pick.get_by_role("button", name="Choose product").click()
    chooser = page.get_by_role("dialog").filter(has=page.get_by_role("heading", name="Choose product"))
    chooser.get_by_role("link", name=PRODUCT).click()
    expect(chooser).to_be_hidden()
    expect(pick).to_contain_text(PRODUCT)  # the chooser now shows the chosen product

    pick.get_by_role("textbox", name="Verdict").fill(VERDICT)
    pros = pick.locator('[data-contentpath="pros"]')
    pros.get_by_role("textbox").fill(PRO)
    # "Cons" (min_num=0) starts with one empty item whose text is required, so a pick
    # without cons only validates once that empty item is deleted (ListBlock's default is
    # one empty child unless the block sets default=[]).
    cons = pick.locator('[data-contentpath="cons"]')
    for _empty in range(cons.get_by_role("textbox").count()):
        cons.get_by_role("button", name="Delete").first.click()
    expect(cons.get_by_role("textbox")).to_have_count(0)
    pick.get_by_role("textbox", name="Best for").fill(BEST_FOR)

    footer = open_action_menu(page)
    submit = footer.get_by_role("button", name="Submit to Guide review")
    expect(submit).to_be_visible()
    # Guides go live only through review: no Publish button, not even a hidden one.
    expect(footer.get_by_role("button", name=re.compile("publish", re.IGNORECASE))).to_have_count(0)
    expect(page.locator('[name="action-publish"]')).to_have_count(0)
    submit.click()

    page.wait_for_url(re.compile(rf"/admin/pages/{setup['guides_id']}/$"))
    expect(page.get_by_role("status").filter(has_text="submitted for moderation")).to_contain_text(
        f"Page '{TITLE}' created and submitted for moderation."
    )
    submitted = live_asgi.call(guide_review_state, TITLE)
    assert submitted is not None
    assert submitted["live"] is False
    assert submitted["url"] == f"/guides/{SLUG}/"
    assert submitted["picked_products"] == [PRODUCT]
    assert submitted["workflow"] == GUIDE_REVIEW
    assert (submitted["status"], submitted["requested_by"]) == (WorkflowState.STATUS_IN_PROGRESS, "editor")

    # Not public yet: not listed, and its address is a 404 for visitors.
    visitor = other_page("visitor")
    visitor.goto("/guides/")
    expect(visitor.get_by_role("heading", name="Buying guides", level=1)).to_be_visible()
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    assert visitor.request.get(f"/guides/{SLUG}/").status == 404

    # --- 2. The submitter cannot approve their own guide. ----------------------------------
    page.goto("/admin/")
    mine = page.get_by_role("region", name="Your pages and snippets in a workflow")
    expect(mine.get_by_role("row").filter(has_text=TITLE)).to_contain_text("Awaiting Second editor approves")
    expect(page.get_by_role("region", name="Awaiting your review")).to_have_count(0)
    page.goto(f"/admin/pages/{submitted['pk']}/edit/")
    footer = open_action_menu(page)
    expect(footer.get_by_role("button", name="Cancel workflow")).to_be_visible()
    expect(footer.get_by_role("button", name=re.compile("approve|publish", re.IGNORECASE))).to_have_count(0)
    expect(page.locator('[name="action-publish"], [data-workflow-action-name="approve"]')).to_have_count(0)

    # --- 3. A second editor approves it from the dashboard. --------------------------------
    reviewer = other_page("editor2")
    admin_login(reviewer, "editor2")
    awaiting = reviewer.get_by_role("region", name="Awaiting your review")
    row = awaiting.get_by_role("row").filter(has_text=TITLE)
    expect(row.get_by_role("cell", name="editor", exact=True)).to_be_visible()  # submitted by
    row.get_by_role("button", name="Actions").click()
    with reviewer.expect_response(re.compile(r"/admin/pages/workflow/action/\d+/approve/\d+/$")) as approval:
        row.get_by_role("button", name="Approve", exact=True).click()
    assert approval.value.status == 302, approval.value.status
    # Redirected back to the (reloaded) dashboard: nothing is left to review.
    expect(awaiting).to_have_count(0)

    approved = live_asgi.call(guide_review_state, TITLE)
    assert approved["live"] is True
    assert (approved["status"], approved["finished_by"]) == (WorkflowState.STATUS_APPROVED, "editor2")

    # --- 4. Live: listed on /guides/, and its page shows the product pick. -----------------
    visitor.goto("/guides/")
    visitor.get_by_role("heading", name=TITLE, level=2).get_by_role("link", name=TITLE).click()
    visitor.wait_for_url(re.compile(rf"/guides/{SLUG}/$"))
    expect(visitor.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # The pick's card, not the guide's own <article> around it.
    card = visitor.get_by_role("article").filter(
        has=visitor.get_by_role("heading", name=PRODUCT, level=3),
        has_not=visitor.get_by_role("heading", name=TITLE, level=1),
    )
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=PRODUCT)).to_have_attribute("href", "/products/kivi-w240/")
    expect(card).to_contain_text(VERDICT)
    expect(card.get_by_role("listitem")).to_have_text([PRO])
    expect(card).to_contain_text(f"Best for: {BEST_FOR}")

    assert console.errors == []
    assert live_asgi.error_messages() == []
