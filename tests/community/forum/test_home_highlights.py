"""The home page's forum highlights: a cached fragment per kind of reader (categories one may
read) and FORUM version (community/forum/page_extensions.py)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.community.forum_factories import forum_member, make_category, reply, start_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    from content.demo.site import home_page, site_for
    from hub.demo import DemoContext

    site_for(home_page(DemoContext(log=lambda _m: None)))


@override_settings(KANTA_PAGE_CACHE=False)
def test_readers_of_another_kind_never_get_each_others_highlights(client, home):
    gold = forum_member("aino", tier="gold")
    start_thread(gold, make_category("gold-lounge", read_tier="gold"), title="Gold only")
    start_thread(forum_member("eero"), make_category("cycling"), title="Studded tyres for commuting")

    client.force_login(forum_member("sanna"))
    page = client.get("/").content.decode()
    assert "Studded tyres for commuting" in page and "Gold only" not in page

    client.force_login(gold)
    assert "Gold only" in client.get("/").content.decode()

    client.force_login(forum_member("ville"))
    page = client.get("/").content.decode()
    assert "Studded tyres for commuting" in page and "Gold only" not in page
    assert "Gold only" not in client.get("/", headers={"cookie": ""}).content.decode()


@override_settings(KANTA_PAGE_CACHE=False)
def test_a_new_thread_or_reply_reaches_the_cached_highlights_at_once(client, home):
    cycling = make_category("cycling")
    thread = start_thread(forum_member("eero"), cycling, title="Studded tyres for commuting")
    client.force_login(forum_member("sanna"))
    assert "Studded tyres for commuting" in client.get("/").content.decode()

    start_thread(forum_member("ville"), cycling, title="Chain wax or oil?")
    page = client.get("/").content.decode()
    assert "Chain wax or oil?" in page

    reply(forum_member("pekka"), thread)
    assert "latest by pekka" in client.get("/").content.decode()


@override_settings(KANTA_PAGE_CACHE=False)
def test_a_cached_highlights_fragment_reads_no_threads(client, home):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start_thread(forum_member("eero"), make_category("cycling"), title="Studded tyres for commuting")
    client.force_login(forum_member("sanna"))
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()
    assert "Studded tyres for commuting" in page
    assert not [q for q in captured.captured_queries if 'FROM "community_thread"' in q["sql"]]
