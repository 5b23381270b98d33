"""Who may read and post where, through the pages: per category and tier, for anonymous
visitors, members, Gold members, moderators, and silenced or banned members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from community.models import ForumSanction, Post, Thread
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum():
    moderator = make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])
    categories = {
        "open": make_category("open", sort_order=1),
        "gold-post": make_category("gold-post", post_tier="gold", sort_order=2),
        "gold-read": make_category("gold-read", read_tier="gold", post_tier="gold", sort_order=3),
    }
    threads = {
        slug: start_thread(moderator, category, title=f"Welcome to {slug}")
        for slug, category in categories.items()
    }
    return {
        "categories": categories,
        "threads": threads,
        "viewers": {
            "anonymous": None,
            "member": forum_member("eero"),
            "gold": forum_member("kulta", tier="gold"),
            "moderator": moderator,
        },
    }


READ = {
    # viewer: categories they can read
    "anonymous": {"open", "gold-post"},
    "member": {"open", "gold-post"},
    "gold": {"open", "gold-post", "gold-read"},
    "moderator": {"open", "gold-post", "gold-read"},
}
POST = {
    "anonymous": set(),
    "member": {"open"},
    "gold": {"open", "gold-post", "gold-read"},
    "moderator": {"open", "gold-post", "gold-read"},
}


def login(client, user):
    if user is not None:
        client.force_login(user)


@pytest.mark.parametrize("viewer", list(READ))
def test_reading_categories_and_threads_per_tier(client, forum, viewer):
    login(client, forum["viewers"][viewer])
    index = client.get(reverse("community:forum_index"))
    listed = {row.category.slug for row in index.context["rows"]}
    assert listed == READ[viewer]

    for slug, category in forum["categories"].items():
        listing = client.get(category.get_absolute_url())
        page = client.get(forum["threads"][slug].get_absolute_url())
        if slug in READ[viewer]:
            assert listing.status_code == 200 and page.status_code == 200
        elif viewer == "anonymous":
            # Members-only: sign in first, then come back.
            assert listing.status_code == 302 and "/login/" in listing["Location"]
            assert page.status_code == 302 and "/login/" in page["Location"]
        else:
            assert listing.status_code == 403 and page.status_code == 403
            assert "Gold" in page.content.decode()


@override_settings(KANTA_FORUM_POST_INTERVAL=0)
@pytest.mark.parametrize("viewer", list(POST))
def test_posting_replies_and_threads_per_tier(client, forum, viewer):
    user = forum["viewers"][viewer]
    login(client, user)
    for slug, category in forum["categories"].items():
        thread = forum["threads"][slug]
        before = Post.objects.filter(thread=thread).count()
        client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": f"Reply in {slug}."})
        posted = Post.objects.filter(thread=thread).count() - before
        assert posted == (1 if slug in POST[viewer] else 0), slug

        page = client.get(thread.get_absolute_url())
        if slug in READ[viewer]:
            assert bool(page.context["reply_refusal"]) is (slug not in POST[viewer])

        client.post(
            reverse("community:forum_thread_new"),
            {
                "category": category.pk,
                "title": f"A new thread in {slug}",
                "body": f"Hello everyone in {slug}.",
            },
        )
        created = Thread.objects.filter(title=f"A new thread in {slug}").exists()
        assert created is (slug in POST[viewer]), slug


def test_thread_form_offers_only_categories_the_member_may_post_in(client, forum):
    client.force_login(forum["viewers"]["member"])
    form = client.get(reverse("community:forum_thread_new")).context["form"]
    assert [c.slug for c in form.fields["category"].queryset] == ["open"]


def test_gold_only_posting_explains_the_tier(client, forum):
    client.force_login(forum["viewers"]["member"])
    page = client.get(forum["threads"]["gold-post"].get_absolute_url())
    assert "Gold" in page.context["reply_refusal"]


def test_anonymous_reader_is_invited_to_sign_in_to_reply(client, forum):
    page = client.get(forum["threads"]["open"].get_absolute_url())
    assert "Sign in" in page.context["reply_refusal"] and "/login/" in page.content.decode()
    response = client.post(
        reverse("community:forum_reply", kwargs={"pk": forum["threads"]["open"].pk}), {"body": "Hi"}
    )
    assert response.status_code == 302 and "/login/" in response["Location"]


def sanction(member, kind: str, moderator):
    return ForumSanction.objects.create(
        member=member,
        kind=kind,
        until=timezone.now() + timedelta(days=3),
        reason="Testing sanctions",
        moderator=moderator,
    )


def test_silenced_member_reads_but_cannot_post_or_react(client, forum):
    member = forum["viewers"]["member"]
    sanction(member, ForumSanction.Kind.SILENCE, forum["viewers"]["moderator"])
    client.force_login(member)
    thread = forum["threads"]["open"]
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200 and "silenced" in page.context["reply_refusal"]
    client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": "Let me speak."})
    assert Post.objects.filter(thread=thread).count() == 1
    first = thread.posts.get(number=1)
    react = client.post(
        reverse("community:forum_post_react", kwargs={"pk": first.pk}),
        {"kind": "like"},
        HTTP_ACCEPT="application/json",
    )
    assert react.status_code == 403


def test_banned_member_cannot_read_the_forum(client, forum):
    member = forum["viewers"]["member"]
    sanction(member, ForumSanction.Kind.BAN, forum["viewers"]["moderator"])
    client.force_login(member)
    assert client.get(reverse("community:forum_index")).context["rows"] == []
    assert client.get(forum["categories"]["open"].get_absolute_url()).status_code == 403
    assert client.get(forum["threads"]["open"].get_absolute_url()).status_code == 403


def test_hidden_threads_are_for_moderators_only(client, forum):
    thread = forum["threads"]["open"]
    Thread.objects.filter(pk=thread.pk).update(state=Thread.State.HIDDEN)
    client.force_login(forum["viewers"]["member"])
    assert client.get(thread.get_absolute_url()).status_code == 404
    listing = client.get(forum["categories"]["open"].get_absolute_url())
    assert thread.pk not in [row["thread"].pk for row in listing.context["rows"]]
    client.force_login(forum["viewers"]["moderator"])
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_hidden_post_is_shown_to_moderators_only(client, forum):
    thread = forum["threads"]["open"]
    client.force_login(forum["viewers"]["member"])
    client.post(reverse("community:forum_reply", kwargs={"pk": thread.pk}), {"body": "Something rude."})
    post = Post.objects.get(thread=thread, number=2)
    Post.objects.filter(pk=post.pk).update(state=Post.State.HIDDEN)

    client.force_login(forum["viewers"]["gold"])
    assert "Something rude." not in client.get(thread.get_absolute_url()).content.decode()
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(forum["viewers"]["moderator"])
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Something rude." in html and "forum-post--hidden" in html


@pytest.mark.parametrize("viewer", ["anonymous", "member", "gold", "moderator"])
def test_search_finds_exactly_the_threads_each_viewer_may_read(client, forum, site_tree, viewer):
    login(client, forum["viewers"][viewer])
    html = client.get(reverse("content:search"), {"q": "welcome", "kind": "forum"}).content.decode()
    found = {slug for slug, thread in forum["threads"].items() if thread.get_absolute_url() in html}
    assert found == READ[viewer]


def test_the_kind_of_reader_is_read_in_one_query(django_assert_num_queries, forum):
    from community.forum.access import member_silenced
    from community.forum.page_extensions import reader_kind
    from membership.models import Tier, User

    moderator = make_member("valvoja", groups=["Moderators"])
    gold = forum["viewers"]["gold"]
    gold_threshold = Tier.objects.get(slug="gold").threshold
    member = forum["viewers"]["member"]
    # Fresh user objects, as each request loads; permissions read first, as every page does.
    fresh = {user.pk: User.objects.get(pk=user.pk) for user in (gold, member)}
    for user in fresh.values():
        user.get_all_permissions()
    with django_assert_num_queries(1):
        assert reader_kind(fresh[gold.pk]) == f"level:{gold_threshold}"
    with django_assert_num_queries(1):
        assert reader_kind(fresh[member.pk]) == "level:0"

    ban = sanction(member, ForumSanction.Kind.BAN, moderator)
    banned = User.objects.get(pk=member.pk)
    banned.get_all_permissions()
    with django_assert_num_queries(1):
        assert reader_kind(banned) == "banned"
    ForumSanction.objects.filter(pk=ban.pk).update(lifted_at=timezone.now())
    lifted = User.objects.get(pk=member.pk)
    lifted.get_all_permissions()
    assert reader_kind(lifted) == "level:0"

    # A silence is no ban, and a page that asks about silences still reads them.
    sanction(member, ForumSanction.Kind.SILENCE, moderator)
    silenced = User.objects.get(pk=member.pk)
    silenced.get_all_permissions()
    assert reader_kind(silenced) == "level:0"
    assert member_silenced(silenced)
