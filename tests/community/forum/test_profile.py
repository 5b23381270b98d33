"""The member's forum activity on their profile, limited to what the viewer may read."""

from __future__ import annotations

import pytest

from tests.community.forum_factories import forum_member, make_category, reply, start_thread

pytestmark = pytest.mark.django_db


def test_profile_lists_forum_posts_the_viewer_can_read(client):
    public, gold = make_category("cycling"), make_category("gold-lounge", read_tier="gold")
    aino = forum_member("aino", tier="gold")
    start_thread(aino, public, title="Studded tyres for commuting")
    start_thread(aino, gold, title="Secret Gold preview thread")
    reply(forum_member("eero"), start_thread(forum_member("sanna"), public, title="Chain wax or oil?"))

    page = client.get("/members/aino/").content.decode()
    assert "Studded tyres for commuting" in page
    assert "Secret Gold preview thread" not in page

    client.force_login(aino)
    page = client.get("/members/aino/").content.decode()
    assert "Secret Gold preview thread" in page


def test_home_page_shows_the_liveliest_threads_the_reader_may_read(client):
    from content.demo.site import home_page, site_for
    from hub.demo import DemoContext

    site_for(home_page(DemoContext(log=lambda _m: None)))
    start_thread(
        forum_member("aino", tier="gold"), make_category("gold-lounge", read_tier="gold"), title="Gold only"
    )
    start_thread(forum_member("eero"), make_category("cycling"), title="Studded tyres for commuting")

    page = client.get("/").content.decode()
    assert "Lively in the forum" in page and "Studded tyres for commuting" in page
    assert "Gold only" not in page
