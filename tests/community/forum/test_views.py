"""The forum's pages: lists, the thread page, posting, editing, reactions, answers, watching,
read state, preferences, discussions on product and guide pages, and forum search."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from community.forum.rendering import post_html
from community.forum.services.moderation import post_delete, post_hide
from community.forum.services.posts import reaction_toggle
from community.models import ForumCategoryWatch, ForumPreferences, Post, Reaction, Thread, ThreadReadState
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.content.conftest import make_product
from tests.factories import image_bytes, make_member

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def category():
    return make_category("cycling", name="Cycling")


@pytest.fixture
def aino():
    return forum_member("aino", display_name="Aino Virtanen")


@pytest.fixture
def eero():
    return forum_member("eero", display_name="Eero Korhonen")


@pytest.fixture
def moderator():
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


def test_index_lists_categories_with_counts_latest_and_unread(client, category, aino, eero):
    other = make_category("skiing", name="Skiing", sort_order=1)
    thread = start_thread(aino, category, title="Studded tyres for icy commutes")
    client.force_login(eero)
    client.get(thread.get_absolute_url())  # eero reads it
    reply(aino, thread, body="Still looking for advice.")
    start_thread(aino, other, title="Waxing skis at home")

    response = client.get(reverse("community:forum_index"))

    assert response.status_code == 200
    rows = {row.category.slug: row for row in response.context["rows"]}
    assert list(rows) == ["cycling", "skiing"]
    assert rows["cycling"].unread == 1 and rows["cycling"].new == 0
    assert rows["skiing"].new == 1 and rows["skiing"].unread == 0
    html = response.content.decode()
    assert "Studded tyres for icy commutes" in html and "Waxing skis at home" in html
    assert "1 unread" in html and "1 new" in html


def test_category_lists_pinned_first_then_latest_activity_and_filters(client, category, aino, eero):
    old = start_thread(aino, category, title="An old question about chains", tags=["chains"])
    solved = start_thread(aino, make_category("qa", is_qa=True), title="Moved along")  # another category
    busy = start_thread(eero, category, title="Best winter gloves?", tags=["gloves"])
    pinned = start_thread(aino, category, title="Read this first: forum rules")
    Thread.objects.filter(pk=pinned.pk).update(is_pinned=True)
    answer = reply(eero, old, body="Clean it with degreaser.")
    Thread.objects.filter(pk=old.pk).update(accepted_post=answer)

    response = client.get(reverse("community:forum_category", kwargs={"slug": "cycling"}))
    titles = [row["thread"].title for row in response.context["rows"]]
    assert titles == [pinned.title, old.title, busy.title]
    assert solved.title not in response.content.decode()

    url = reverse("community:forum_category", kwargs={"slug": "cycling"})
    unanswered = [r["thread"].pk for r in client.get(url, {"filter": "unanswered"}).context["rows"]]
    assert unanswered == [pinned.pk, busy.pk]
    assert [r["thread"].pk for r in client.get(url, {"filter": "solved"}).context["rows"]] == [old.pk]
    assert [r["thread"].pk for r in client.get(url, {"tag": "gloves"}).context["rows"]] == [busy.pk]


@override_settings(KANTA_FORUM_THREADS_PER_PAGE=2)
def test_category_is_paginated(client, category, aino):
    for n in range(3):
        start_thread(aino, category, title=f"Thread number {n}")
    url = reverse("community:forum_category", kwargs={"slug": "cycling"})
    assert len(client.get(url).context["rows"]) == 2
    assert [r["thread"].title for r in client.get(url, {"page": 2}).context["rows"]] == ["Thread number 0"]


def test_category_unread_counts_per_thread(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    client.get(thread.get_absolute_url())
    reply(aino, thread, body="One more thing.")
    reply(aino, thread, body="And another.")
    rows = client.get(category.get_absolute_url()).context["rows"]
    assert rows[0]["unread"] == 2 and not rows[0]["is_new"]


def test_hidden_and_deleted_posts_never_count_as_unread(client, category, aino, eero, moderator):
    thread = start_thread(aino, category)
    reply(aino, thread, body="A visible reply.")
    post_hide(post=reply(aino, thread, body="Something rude."), moderator=moderator, reason="Rude.")
    client.force_login(eero)
    client.get(thread.get_absolute_url())  # eero reads every post he can see
    index = reverse("community:forum_index")

    # The hidden post keeps its number (the thread's last), but eero has nothing to read.
    assert client.get(category.get_absolute_url()).context["rows"][0]["unread"] == 0
    assert client.get(index).context["rows"][0].unread == 0
    assert "Jump to first unread" not in client.get(thread.get_absolute_url()).content.decode()

    # New replies count once each, whatever was hidden or deleted around them.
    reply(aino, thread, body="Back on topic.")
    post_delete(post=reply(aino, thread, body="Oops, wrong thread."), actor=aino)
    reply(aino, thread, body="One more thing.")
    assert client.get(category.get_absolute_url()).context["rows"][0]["unread"] == 2
    assert client.get(index).context["rows"][0].unread == 1  # threads with unread replies
    assert "Jump to first unread" in client.get(thread.get_absolute_url()).content.decode()


@override_settings(KANTA_FORUM_POSTS_PER_PAGE=2)
def test_thread_page_paginates_and_jumps_to_first_unread(client, category, aino, eero):
    thread = start_thread(aino, category)
    replies = [reply(eero if n % 2 else aino, thread, body=f"Reply number {n}") for n in range(4)]
    client.force_login(eero)
    # eero posted replies 1 and 3 (numbers 3 and 5), so he has read to 5: read to 2 instead.
    ThreadReadState.objects.filter(member=eero, thread=thread).update(last_read_number=2)

    page1 = client.get(thread.get_absolute_url())
    assert [p.number for p in page1.context["posts"]] == [1, 2]
    assert "Jump to first unread" in page1.content.decode()

    ThreadReadState.objects.filter(member=eero, thread=thread).update(last_read_number=2)
    jump = client.get(reverse("community:forum_thread_unread", kwargs={"pk": thread.pk}))
    assert jump.status_code == 302
    assert jump["Location"] == f"{thread.get_absolute_url()}?page=2#post-{replies[1].pk}"

    page3 = client.get(thread.get_absolute_url(), {"page": 3})
    assert [p.number for p in page3.context["posts"]] == [5]
    assert ThreadReadState.objects.get(member=eero, thread=thread).last_read_number == 5


def test_a_slug_after_the_thread_id_is_optional_and_the_canonical_address_has_none(client, category, aino):
    thread = start_thread(aino, category, title="Studded tyres for ice")
    for address in (
        f"/forum/t/{thread.pk}/",
        f"/forum/t/{thread.pk}/studded-tyres-for-ice/",
        f"/forum/t/{thread.pk}/x/",
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        assert (
            f'<link rel="canonical" href="http://testserver/forum/t/{thread.pk}/">'
            in response.content.decode()
        )
    assert client.get(f"/forum/t/{thread.pk + 1000}/studded-tyres-for-ice/").status_code == 404


@override_settings(KANTA_FORUM_POSTS_PER_PAGE=2)
def test_post_permalink_redirects_to_its_page_and_anchor(client, category, aino, eero):
    thread = start_thread(aino, category)
    posts = [reply(eero, thread, body=f"Reply number {n}") for n in range(3)]
    response = client.get(posts[2].get_absolute_url())
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2#post-{posts[2].pk}"
    first = thread.posts.get(number=1)
    assert client.get(first.get_absolute_url())["Location"] == f"{thread.get_absolute_url()}#post-{first.pk}"


def test_thread_page_shows_posts_reply_box_quote_and_viewer_state(client, category, aino, eero):
    thread = start_thread(aino, category, body="What do you ride on **ice**?")
    answer = reply(eero, thread, body="Nokian W240.")
    reaction_toggle(member=aino, post=answer, kind="like")
    client.force_login(aino)

    response = client.get(thread.get_absolute_url(), {"quote": answer.pk})

    html = response.content.decode()
    assert "<strong>ice</strong>" in html and "Nokian W240." in html
    assert 'id="reply"' in html and "forum-thread--can-reply" in html
    quote = f"> [@eero wrote]({answer.get_absolute_url()}):\n> Nokian W240."
    assert quote in response.context["form"]["body"].value()
    viewer = response.context["viewer"]
    assert viewer["id"] == aino.pk and viewer["reacted"] == {answer.pk: ["like"]}
    embedded = html.split('id="forum-viewer" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded)["reacted"] == {str(answer.pk): ["like"]}
    # Per-viewer state is on the page, never in the post fragment.
    assert f'.forum-post[data-author-id="{aino.pk}"] .forum-own-only' in html
    assert f'#post-{answer.pk} .forum-reaction[data-reaction="like"]' in html
    assert 'id="forum-viewer"' in html and "community/forum/forum.js" in html
    # Without JavaScript too, the buttons say which reactions are the reader's, and the
    # reader's own post cannot be reacted to; each post has a heading to navigate by.
    answer_html = html.split(f'id="post-{answer.pk}"')[1].split("</article>")[0]
    assert 'data-reaction="like" title="Like" aria-pressed="true">' in answer_html
    assert 'data-reaction="thanks" title="Thanks" aria-pressed="false">' in answer_html
    opening_html = html.split(f'id="post-{thread.posts.get(number=1).pk}"')[1].split("</article>")[0]
    assert 'aria-pressed="false" aria-disabled="true">' in opening_html
    assert f'<h2 class="visually-hidden" id="post-{answer.pk}-heading">Post 2 by Eero Korhonen</h2>' in html
    # The live copy of a post serves every reader: no pressed state in it.
    assert "aria-pressed" not in post_html(answer)


def test_reply_form_posts_and_redirects_to_the_new_post(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    response = client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": "Try W240."})
    post = Post.objects.get(thread=thread, number=2)
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert post.author == eero and post.body == "Try W240."


def test_reply_with_json_returns_the_rendered_post(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    response = client.post(
        reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": "Try **W240**."}, **JSON
    )
    assert response.status_code == 201
    data = response.json()
    assert data["number"] == 2 and data["state"] == "visible"
    assert f'id="post-{data["id"]}"' in data["html"] and "<strong>W240</strong>" in data["html"]
    # The fragment holds no per-viewer state.
    assert "aria-pressed" not in data["html"] and "csrfmiddlewaretoken" not in data["html"]


def test_reply_with_images_reencodes_them(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    upload = SimpleUploadedFile("ice.jpg", image_bytes("JPEG", (800, 600)), content_type="image/jpeg")
    client.post(
        reverse("community:forum_reply", kwargs={"pk": thread.pk}),
        {"body": "Here is my setup.", "image_1": upload, "alt_1": "Tyres on ice"},
    )
    post = Post.objects.get(thread=thread, number=2)
    image = post.images.get()
    assert image.alt == "Tyres on ice" and image.width == 800


def test_reply_errors_keep_what_was_written(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    url = reverse("community:forum_reply", kwargs={"pk": thread.pk})
    client.post(url, {"body": "My first reply here."})
    # The same text again within minutes: refused, and the text stays in the box.
    again = client.post(url, {"body": "My first reply here."})
    assert again.status_code in (400, 429)
    assert "My first reply here." in again.content.decode()
    assert again.context["form"].errors

    empty = client.post(url, {"body": "   "}, **JSON)
    assert empty.status_code == 400 and "body" in empty.json()["errors"]


@override_settings(KANTA_FORUM_POST_INTERVAL=60)
def test_reply_too_soon_is_a_form_error_and_429_for_json(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    url = reverse("community:forum_reply", kwargs={"pk": thread.pk})
    client.post(url, {"body": "First."})
    page = client.post(url, {"body": "Second, too soon."})
    assert page.status_code == 429 and "too quickly" in page.content.decode()
    assert "Second, too soon." in page.content.decode()
    data = client.post(url, {"body": "Third, too soon."}, **JSON)
    assert data.status_code == 429 and "too quickly" in data.json()["error"]


def test_locked_thread_refuses_replies(client, category, aino, eero):
    thread = start_thread(aino, category)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    client.force_login(eero)
    page = client.get(thread.get_absolute_url())
    assert "locked" in page.context["reply_refusal"] and page.context["form"] is None
    response = client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": "Hello?"})
    assert response.status_code == 403 and not Post.objects.filter(thread=thread, number=2).exists()
    # Without JavaScript no draft keeps the text: the refusal hands it back instead of a
    # redirect that would drop it, with the way back to the thread.
    page = response.content.decode()
    assert "locked" in page and "Your text was not posted" in page
    assert '<textarea id="kept-body-text"' in page and ">Hello?</textarea>" in page
    assert f'href="{thread.get_absolute_url()}"' in page
    # Nothing typed, nothing to hand back: the member goes back to the thread with the reason.
    empty = client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": " "})
    assert empty.status_code == 302 and empty.url == thread.get_absolute_url()


def test_new_thread_form_creates_a_thread_with_tags_products_and_guide(client, category, aino, make_guide):
    product = make_product(name="Kivi W240")
    guide = make_guide("Best studded tyres")
    client.force_login(aino)
    form = client.get(reverse("community:forum_thread_new"), {"category": "cycling", "product": product.slug})
    assert form.status_code == 200
    assert form.context["form"].initial["products"] == [product.pk]

    response = client.post(
        reverse("community:forum_thread_new"),
        {
            "category": category.pk,
            "title": "Kivi W240 after one winter",
            "body": "They held up well.",
            "tags": "winter, tyres",
            "products": [product.pk],
            "guide": guide.pk,
        },
    )
    thread = Thread.objects.get(title="Kivi W240 after one winter")
    assert response["Location"] == thread.get_absolute_url()
    assert sorted(thread.tags.names()) == ["tyres", "winter"]
    assert list(thread.products.all()) == [product] and thread.guide_id == guide.pk


def test_new_thread_errors_are_shown_on_their_fields(client, category, aino):
    client.force_login(aino)
    response = client.post(
        reverse("community:forum_thread_new"),
        {"category": category.pk, "title": "Hm", "body": "A body I wrote carefully.", "tags": "a,b,c,d,e,f"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "title" in form.errors and "tags" in form.errors
    assert "A body I wrote carefully." in response.content.decode()


def test_new_thread_needs_sign_in(client, category):
    response = client.get(reverse("community:forum_thread_new"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_edit_post_by_author_changes_text_and_title(client, category, aino, eero):
    thread = start_thread(aino, category)
    first = thread.posts.get(number=1)
    client.force_login(aino)
    url = reverse("community:forum_post_edit", kwargs={"pk": first.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Studded tyres: which ones?", "body": "Edited question."})
    assert response.status_code == 302
    first.refresh_from_db()
    thread.refresh_from_db()
    assert first.body == "Edited question." and first.edit_count == 1
    assert thread.title == "Studded tyres: which ones?"

    client.force_login(eero)
    assert client.get(url).status_code == 403


def test_moderator_can_edit_any_post(client, category, aino, moderator):
    thread = start_thread(aino, category)
    answer = reply(forum_member("mikko"), thread)
    client.force_login(moderator)
    url = reverse("community:forum_post_edit", kwargs={"pk": answer.pk})
    response = client.post(url, {"body": "Cleaned up by a moderator."})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.body == "Cleaned up by a moderator."


def test_reaction_without_javascript_toggles_and_redirects(client, category, aino, eero):
    thread = start_thread(aino, category)
    first = thread.posts.get(number=1)
    client.force_login(eero)
    url = reverse("community:forum_post_react", kwargs={"pk": first.pk})
    response = client.post(url, {"kind": "helpful"})
    assert response.status_code == 302 and response["Location"] == first.get_absolute_url()
    assert Reaction.objects.filter(post=first, member=eero, kind="helpful").exists()
    client.post(url, {"kind": "helpful"})
    assert not Reaction.objects.filter(post=first, member=eero).exists()


def test_reaction_with_json_returns_counts_and_refuses_own_post(client, category, aino, eero):
    thread = start_thread(aino, category)
    first = thread.posts.get(number=1)
    url = reverse("community:forum_post_react", kwargs={"pk": first.pk})
    client.force_login(eero)
    data = client.post(url, {"kind": "like", "on": "1"}, **JSON).json()
    counts = {"like": 1, "helpful": 0, "thanks": 0}
    assert data == {"id": first.pk, "kind": "like", "reacted": True, "counts": counts}
    # "on" is idempotent: the same click again changes nothing.
    assert client.post(url, {"kind": "like", "on": "1"}, **JSON).json()["counts"]["like"] == 1
    assert client.post(url, {"kind": "nope"}, **JSON).status_code == 400

    client.force_login(aino)
    own = client.post(url, {"kind": "like"}, **JSON)
    assert own.status_code == 403 and "own post" in own.json()["error"]


def test_reaction_needs_sign_in(client, category, aino):
    thread = start_thread(aino, category)
    url = reverse("community:forum_post_react", kwargs={"pk": thread.posts.get(number=1).pk})
    assert client.post(url, {"kind": "like"}, **JSON).status_code == 401
    assert "/login/" in client.post(url, {"kind": "like"})["Location"]


def test_accept_answer_by_asker_only(client, aino, eero):
    qa = make_category("repair", is_qa=True)
    thread = start_thread(aino, qa)
    answer = reply(eero, thread)
    url = reverse("community:forum_post_accept", kwargs={"pk": answer.pk})

    client.force_login(eero)
    assert client.post(url, **JSON).status_code == 403

    client.force_login(aino)
    assert client.post(url, **JSON).json() == {"accepted_post_id": answer.pk}
    page = client.get(thread.get_absolute_url())
    assert page.context["accepted"] == answer and "forum-post--accepted" in page.content.decode()
    assert client.post(url, {"action": "unaccept"}).status_code == 302
    thread.refresh_from_db()
    assert thread.accepted_post_id is None


def test_watch_thread_and_category(client, category, aino, eero):
    thread = start_thread(aino, category)
    client.force_login(eero)
    url = reverse("community:forum_thread_watch", kwargs={"pk": thread.pk})
    assert client.post(url, {"watching": "1"}, **JSON).json() == {"watching": True}
    assert ThreadReadState.objects.get(member=eero, thread=thread).watching
    client.post(url, {"watching": "0"})
    assert not ThreadReadState.objects.get(member=eero, thread=thread).watching

    curl = reverse("community:forum_category_watch", kwargs={"slug": category.slug})
    client.post(curl, {"watching": "1"})
    assert ForumCategoryWatch.objects.filter(member=eero, category=category).exists()
    assert client.get(category.get_absolute_url()).context["watching"]
    client.post(curl, {"watching": "0"})
    assert not ForumCategoryWatch.objects.filter(member=eero, category=category).exists()


def test_read_beacon_moves_read_state_forward_only(client, category, aino, eero):
    thread = start_thread(aino, category)
    reply(aino, thread, body="Second.")
    reply(aino, thread, body="Third.")
    client.force_login(eero)
    url = reverse("community:forum_thread_read", kwargs={"pk": thread.pk})
    assert client.post(url, {"number": "2"}).status_code == 204
    assert ThreadReadState.objects.get(member=eero, thread=thread).last_read_number == 2
    client.post(url, {"number": "1"})
    assert ThreadReadState.objects.get(member=eero, thread=thread).last_read_number == 2
    client.logout()
    assert client.post(url, {"number": "3"}).status_code == 204


def test_preferences_turn_the_digest_off(client, eero):
    client.force_login(eero)
    url = reverse("community:forum_preferences")
    assert client.get(url).context["form"]["email_digest"].value() is True
    response = client.post(url, {})
    assert response.status_code == 302, response.context["form"].errors
    assert ForumPreferences.objects.get(member=eero).email_digest is False
    client.post(url, {"email_digest": "on"})
    assert ForumPreferences.objects.get(member=eero).email_digest is True


def test_merged_thread_redirects(client, category, aino):
    target = start_thread(aino, category, title="The thread that stays")
    merged = start_thread(aino, category, title="The thread merged away")
    Thread.objects.filter(pk=merged.pk).update(merged_into=target)
    assert client.get(merged.get_absolute_url())["Location"] == target.get_absolute_url()


# --- discussions on product and guide pages ---------------------------------------------------


@override_settings(KANTA_FORUM_DISCUSSION_CATEGORY="gear-talk")
def test_product_page_shows_its_discussion_and_discuss_opens_the_thread(client, site_tree, aino, eero):
    gear = make_category("gear-talk", name="Gear talk")
    members = make_category("vip-lounge", read_tier="gold")
    product = make_product(name="Kivi W240")
    discuss = reverse("community:forum_discuss_product", kwargs={"slug": product.slug})

    # No thread yet: the page invites, "discuss" opens the new-thread form prefilled.
    page = client.get(product.get_absolute_url())
    assert "Discuss in the forum" in page.content.decode()
    start_url = client.get(discuss)["Location"]
    assert start_url.startswith(reverse("community:forum_thread_new"))
    assert "category=gear-talk" in start_url and f"product={product.slug}" in start_url

    thread = start_thread(aino, gear, title="Kivi W240 owners", products=[product])
    reply(eero, thread, body="Mine lost two studs in a season.")
    gold = forum_member("kulta", tier="gold")
    secret = start_thread(gold, members, title="Secret VIP tyre talk", products=[product])
    reply(gold, secret, body="Members-only reply about the tyre.")

    html = client.get(product.get_absolute_url()).content.decode()
    assert "Mine lost two studs in a season." in html and "Join the discussion" in html
    assert "Members-only reply" not in html
    assert client.get(discuss)["Location"] == thread.get_absolute_url()


def test_guide_page_shows_its_discussion(client, make_guide, aino, eero):
    guide = make_guide("Best studded tyres")
    category = make_category("gear-talk")
    discuss = reverse("community:forum_discuss_guide", kwargs={"page_id": guide.pk})
    html = client.get(guide.url).content.decode()
    assert "Discussion" in html and discuss in html
    assert f"guide={guide.pk}" in client.get(discuss)["Location"]

    thread = start_thread(aino, category, title="About the studded tyre guide", guide=guide)
    reply(eero, thread, body="The guide missed the Kivi W300.")
    gold = forum_member("kulta", tier="gold")
    secret = start_thread(
        gold, make_category("vip-lounge", read_tier="gold"), title="VIP guide talk", guide=guide
    )
    reply(gold, secret, body="Members-only thoughts on the guide.")
    html = client.get(guide.url).content.decode()
    assert "The guide missed the Kivi W300." in html
    assert "Members-only thoughts" not in html and "VIP guide talk" not in html
    assert client.get(discuss)["Location"] == thread.get_absolute_url()
    client.force_login(gold)  # who may read it sees it
    assert "Members-only thoughts on the guide." in client.get(guide.url).content.decode()


# --- search ---------------------------------------------------------------------------------------


def test_forum_search_finds_public_visible_threads_by_title_and_posts(client, site_tree, aino, eero):
    public = make_category("cycling")
    members = make_category("vip-lounge", read_tier="gold")
    by_title = start_thread(aino, public, title="Spiked tyres for Oulu winters")
    by_reply = start_thread(aino, public, title="Commuting in January")
    reply(eero, by_reply, body="I swear by spiked tyres, honestly.")
    start_thread(forum_member("kulta", tier="gold"), members, title="Spiked tyres, VIP edition")
    hidden = start_thread(aino, public, title="Spiked tyres spam")
    Thread.objects.filter(pk=hidden.pk).update(state=Thread.State.HIDDEN)

    response = client.get(reverse("content:search"), {"q": "spiked tyres"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Forum threads" in html
    assert by_title.get_absolute_url() in html and by_reply.get_absolute_url() in html
    assert "VIP edition" not in html and "spam" not in html


def test_forum_search_shows_a_tier_categorys_threads_to_its_members_only(client, site_tree, aino):
    lounge = make_category("gold-lounge", read_tier="gold")
    gold = forum_member("kulta", tier="gold")
    thread = start_thread(gold, lounge, title="Spiked tyres, Gold edition")
    search = {"q": "spiked tyres", "kind": "forum"}

    assert thread.get_absolute_url() not in client.get(reverse("content:search"), search).content.decode()
    client.force_login(forum_member("hopeinen", tier="silver"))
    assert "Gold edition" not in client.get(reverse("content:search"), {"q": "spiked tyres"}).content.decode()
    client.force_login(gold)
    assert thread.get_absolute_url() in client.get(reverse("content:search"), search).content.decode()
    assert "Gold edition" in client.get(reverse("content:search"), {"q": "spiked tyres"}).content.decode()


def test_the_sitemap_lists_public_threads_and_no_tier_lounge(client, site_tree, aino):
    public = start_thread(aino, make_category("cycling"), title="Studded tyres on black ice")
    lounge = start_thread(
        forum_member("kulta", tier="gold"), make_category("gold-lounge", read_tier="gold"), title="Gold talk"
    )
    hidden = start_thread(aino, make_category("running"), title="Spam thread here")
    Thread.objects.filter(pk=hidden.pk).update(state=Thread.State.HIDDEN)

    xml = client.get("/sitemap.xml").content.decode()

    assert f"http://testserver{public.get_absolute_url()}</loc>" in xml
    assert lounge.get_absolute_url() not in xml and hidden.get_absolute_url() not in xml
    assert "http://testserver/</loc>" in xml  # the pages are still there
