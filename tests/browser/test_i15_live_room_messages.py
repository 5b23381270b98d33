"""Issue 15: in the live room, a refused question names the rule, the error replaces the last
success, and both are in the member's language (the page's JavaScript through gettext(), the
socket's error frame through the server's gettext in the member's language).

The rule's Finnish text is added by the translators later; a catalog entry set in this process
(the server runs in it) stands in for it, so the check is that the text goes through the
catalog, not what the translation says.
"""

from __future__ import annotations

import pytest
from django.utils.translation import trans_real

from membership.models import User

from .test_live_room import SLUG, make_room, sign_in

pytestmark = pytest.mark.browser

RULE = "A question is %(minimum)s to %(maximum)s characters; yours has %(count)s."
RULE_FI = "Kysymyksessä on %(minimum)s–%(maximum)s merkkiä; sinun kysymyksessäsi on %(count)s."


@pytest.fixture
def finnish_rule():
    catalog = trans_real.translation("fi")._catalog
    catalog[RULE] = RULE_FI
    yield
    catalog._catalogs[0].pop(RULE, None)


def room_in_finnish() -> None:
    make_room()
    User.objects.filter(username="aino").update(language="fi")


def test_a_short_question_shows_the_rule_in_finnish_and_no_stale_success(
    live_asgi, browser_page, console, finnish_rule
):
    from playwright.sync_api import expect

    live_asgi.call(room_in_finnish)
    room_url = f"/events/{SLUG}/live/"
    page = browser_page
    sign_in(page, live_asgi.url, "aino", room_url)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")

    form = page.locator("[data-ask-form]")
    status = form.locator("[data-form-status]")
    error = form.locator("[data-form-error]")
    body = form.locator("[name=body]")

    body.fill("Kestääkö nastarengas kuivaa asfalttia?")
    form.locator("button[type=submit]").click()
    # From the JavaScript catalog (djangojs, fi): the page's own strings are translated.
    expect(status).to_have_text("Kysymyksesi on jonossa.")
    expect(error).to_be_hidden()

    body.fill("ok")
    form.locator("button[type=submit]").click()
    # The server's error frame, built with gettext in the member's language, names the rule.
    expect(error).to_have_text("Kysymyksessä on 3–300 merkkiä; sinun kysymyksessäsi on 2.")
    expect(error).to_be_visible()
    # The new status replaced the old: no success beside the error.
    expect(status).to_have_text("")
    expect(body).to_have_value("ok")  # what the member wrote is kept

    body.fill("Entä nastojen määrä, onko sillä väliä?")
    form.locator("button[type=submit]").click()
    expect(error).to_be_hidden()

    assert console.errors == []
    assert live_asgi.error_messages() == []
