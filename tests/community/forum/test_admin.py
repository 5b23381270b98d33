"""The forum in the Wagtail admin: the review queue (waiting and flagged posts with their
flags), its actions through the moderation service, the dashboard panel, the audit log in
site history, and staff management of categories."""

from __future__ import annotations

import pytest
from wagtail.models import ModelLogEntry

from community.forum.services.moderation import post_flag
from community.forum.services.posts import post_create
from community.models import ForumCategory, ForumSanction, Post, Thread
from membership.models import Tier
from membership.selectors import member_standing
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.factories import make_member

pytestmark = pytest.mark.django_db

QUEUE = "/admin/forum-review/"


@pytest.fixture
def moderator(db):
    return forum_member("ville", groups=["Moderators"])


@pytest.fixture
def queue_story(db):
    """A post waiting for approval and a reply flagged by two members."""
    category = make_category()
    thread = start_thread(forum_member("aino"), category)
    waiting = post_create(
        author=forum_member("uusi", new=True),
        thread=thread,
        body="Cheap tyres at https://spam.example",
        enforce_limits=False,
    )
    flagged = reply(forum_member("eero"), thread, body="Buy my old bike instead!")
    post_flag(member=forum_member("sanna"), post=flagged, reason="spam")
    post_flag(member=forum_member("mikko"), post=flagged, reason="other", text="Selling, not helping")
    return waiting, flagged


def test_moderators_see_waiting_and_flagged_posts_with_their_flags(client, moderator, queue_story):
    waiting, flagged = queue_story
    client.force_login(moderator)
    html = client.get(QUEUE).content.decode()
    assert "Cheap tyres" in html and f"/admin/forum-review/{waiting.pk}/approve/" in html
    assert "Waiting for approval (1)" in html and "Flagged (1)" in html
    html = client.get(f"{QUEUE}?tab=flagged").content.decode()
    assert "Buy my old bike" in html and "2 open flags" in html
    assert "@sanna" in html and "Selling, not helping" in html
    assert f"/admin/forum-review/{flagged.pk}/disagree/" in html
    dashboard = client.get("/admin/").content.decode()
    assert '"url": "/admin/forum-review/"' in dashboard
    assert "1 post is waiting for approval." in dashboard and "1 flagged post." in dashboard


def test_queue_actions_go_through_the_service_and_are_logged(client, moderator, queue_story):
    waiting, flagged = queue_story
    client.force_login(moderator)
    response = client.post(f"{QUEUE}{waiting.pk}/approve/", {"tab": "pending"})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?tab=pending"
    response = client.post(f"{QUEUE}{flagged.pk}/hide/", {"tab": "flagged", "reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    response = client.post(f"{QUEUE}{flagged.pk}/hide/", {"tab": "flagged", "reason": "Advert"}, follow=True)
    assert "is hidden and its points reversed" in response.content.decode()
    assert dict(Post.objects.filter(pk__in=[waiting.pk, flagged.pk]).values_list("pk", "state")) == {
        waiting.pk: "visible",
        flagged.pk: "hidden",
    }
    assert member_standing(member=flagged.author).spendable_points == 0
    client.post(
        f"{QUEUE}members/{flagged.author_id}/sanction/",
        {"kind": "silence", "duration": "72", "reason": "Ads"},
    )
    sanction = ForumSanction.objects.get()
    assert (sanction.member, sanction.kind, sanction.moderator) == (flagged.author, "silence", moderator)
    client.post(f"{QUEUE}{flagged.pk}/delete/", {"reason": "Advert, for good"})
    actions = list(ModelLogEntry.objects.order_by("id").values_list("action", "user_id"))
    assert actions == [
        ("community.forum.post.approve", moderator.pk),
        ("community.forum.post.hide", moderator.pk),
        ("community.forum.sanction", moderator.pk),
        ("community.forum.post.delete", moderator.pk),
    ]
    assert "No posts are waiting" in client.get(QUEUE).content.decode()
    assert "No flagged posts" in client.get(f"{QUEUE}?tab=flagged").content.decode()


def test_the_queue_locks_pins_moves_and_merges_the_thread_with_the_reason_logged(
    client, moderator, queue_story
):
    _waiting, flagged = queue_story
    thread = flagged.thread
    elsewhere = make_category("gear-talk")
    target = start_thread(forum_member("olli"), elsewhere, title="Selling and swapping gear")
    client.force_login(moderator)
    html = client.get(f"{QUEUE}?tab=flagged").content.decode()
    assert f'action="{QUEUE}threads/{thread.pk}/"' in html and "Merge into thread" in html

    url = f"{QUEUE}threads/{thread.pk}/"
    refused = client.post(url, {"tab": "flagged", "action": "lock", "reason": ""}, follow=True)
    assert "Give a reason" in refused.content.decode()
    client.post(url, {"tab": "flagged", "action": "lock", "reason": "Heated"})
    client.post(url, {"tab": "flagged", "action": "pin", "reason": "Read before posting"})
    moved = client.post(
        url, {"tab": "flagged", "action": "move", "category": elsewhere.pk, "reason": "Sales"}
    )
    assert moved["Location"] == f"{QUEUE}?tab=flagged"
    thread.refresh_from_db()
    assert (thread.is_locked, thread.is_pinned, thread.category_id) == (True, True, elsewhere.pk)
    client.post(
        url, {"tab": "flagged", "action": "merge", "target": f"/forum/t/{target.pk}/", "reason": "Same topic"}
    )
    thread.refresh_from_db()
    assert thread.merged_into_id == target.pk
    logged = list(
        ModelLogEntry.objects.filter(action__startswith="community.forum.thread.")
        .order_by("id")
        .values_list("action", "user_id", "data__reason")
    )
    assert logged == [
        ("community.forum.thread.lock", moderator.pk, "Heated"),
        ("community.forum.thread.pin", moderator.pk, "Read before posting"),
        ("community.forum.thread.move", moderator.pk, "Sales"),
        ("community.forum.thread.merge", moderator.pk, "Same topic"),
    ]
    # Members cannot use it.
    client.force_login(forum_member("pekka"))
    client.post(url, {"action": "unpin"})
    assert Thread.objects.get(pk=thread.pk).is_pinned


def test_flag_hidden_posts_are_restored_from_the_queue(client, moderator, queue_story):
    _waiting, flagged = queue_story
    post_flag(member=forum_member("olli"), post=flagged, reason="spam")  # the third: hidden
    flagged.refresh_from_db()
    assert flagged.state == Post.State.HIDDEN
    client.force_login(moderator)
    html = client.get(f"{QUEUE}?tab=flagged").content.decode()
    assert "3 open flags" in html and "Disagree and show again" in html
    client.post(f"{QUEUE}{flagged.pk}/unhide/", {"tab": "flagged"})
    flagged.refresh_from_db()
    assert (
        flagged.state == Post.State.VISIBLE and member_standing(member=flagged.author).spendable_points == 2
    )


def test_the_audit_log_reads_well_in_site_history(client, moderator, queue_story):
    _waiting, flagged = queue_story
    client.force_login(moderator)
    client.post(f"{QUEUE}{flagged.pk}/hide/", {"reason": "Advert"})
    admin = make_member("boss")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    html = client.get("/admin/reports/site-history/").content.decode()
    assert "Forum post hidden: Advert" in html


def test_members_and_editors_are_kept_out(client, queue_story):
    waiting, _flagged = queue_story
    editor = make_member("otto", groups=["Editors"])
    client.force_login(editor)
    assert client.get(QUEUE)["Location"] == "/admin/"
    client.post(f"{QUEUE}{waiting.pk}/approve/")
    waiting.refresh_from_db()
    assert waiting.state == Post.State.PENDING
    dashboard = client.get("/admin/").content.decode()
    assert '"url": "/admin/forum-review/"' not in dashboard and "Forum posts for review" not in dashboard
    client.force_login(waiting.thread.author)  # no admin access at all
    assert client.post(f"{QUEUE}{waiting.pk}/approve/").status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == Post.State.PENDING


def test_staff_manage_categories(client):
    staff = make_member("kaisa", groups=["Staff"])
    client.force_login(staff)
    listing = client.get("/admin/snippets/community/forumcategory/")
    assert listing.status_code == 200
    response = client.post(
        "/admin/snippets/community/forumcategory/add/",
        {
            "name": "Skiing",
            "slug": "skiing",
            "description": "Skis, skins and wax.",
            "colour": "#1d4e89",
            "sort_order": "2",
            "is_qa": "on",
            "read_tier": "",
            "post_tier": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category = ForumCategory.objects.get(slug="skiing")
    assert category.is_qa and category.colour == "#1d4e89"
    response = client.post(
        f"/admin/snippets/community/forumcategory/edit/{category.pk}/",
        {"name": "Skiing", "slug": "skiing", "description": "", "colour": "blue", "sort_order": "2"},
    )
    assert response.status_code == 200 and "Enter a colour like" in response.content.decode()


def test_moderators_see_sanctions_but_do_not_edit_categories(client, moderator):
    client.force_login(moderator)
    assert client.get("/admin/snippets/community/forumsanction/").status_code == 200
    assert client.get("/admin/snippets/community/forumsanction/add/").status_code == 302
    assert client.get("/admin/snippets/community/forumcategory/add/").status_code == 302


def test_restricting_a_category_rechecks_the_sockets_reading_its_threads(client, monkeypatch):
    from community.forum import realtime as forum_realtime
    from community.models import ForumPresence

    revoked: list[int] = []
    monkeypatch.setattr(
        forum_realtime,
        "send_access_revoked",
        lambda *, member_id=None, thread_id=None: revoked.append(thread_id),
    )
    category = make_category("skiing")
    read, unread = start_thread(forum_member("aino"), category), start_thread(forum_member("eero"), category)
    ForumPresence.objects.create(thread=read, channel_name="specific.abc!1")
    client.force_login(make_member("kaisa", groups=["Staff"]))
    fields = {"name": "Skiing", "slug": "skiing", "description": "", "colour": "#1d4e89", "sort_order": "0"}
    edit = f"/admin/snippets/community/forumcategory/edit/{category.pk}/"
    client.post(edit, {**fields, "read_tier": "", "post_tier": ""})
    assert revoked == []  # still public: nobody loses access
    gold = Tier.objects.get(slug="gold")
    response = client.post(edit, {**fields, "read_tier": gold.pk, "post_tier": ""})
    assert response.status_code == 302
    assert revoked == [read.pk] and unread.pk not in revoked
