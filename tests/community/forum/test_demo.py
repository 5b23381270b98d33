"""The demo's forum: the categories issue 5 names, threads tied to products and guides, replies
from every tier, reactions, an accepted answer, a post waiting for a moderator and flagged
posts in the queue; seeding twice adds nothing; check_demo's forum checks pass.

A small world of its own (the demo people, the products and two guides the threads name), not
the whole demo data set.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.demo import checks as demo_checks
from community.demo import forum as demo_forum
from community.models import ForumCategory, ForumFlag, Post, PostImage, Reaction, Thread
from hub.demo import DemoContext
from membership.models import Notification, PointEntry, User
from membership.selectors import member_standing
from tests.community.forum_factories import forum_member
from tests.content.conftest import make_product

pytestmark = pytest.mark.django_db

# username: (tier, days since joining) as membership's demo leaves them
PEOPLE = {
    "aino": ("vip", 1900),
    "eero": ("gold", 1150),
    "liisa": ("silver", 500),
    "juha": ("silver", 800),
    "mikko": (None, 120),
    "olli": (None, 40),
    "tuuli": (None, 9),
    "pekka": (None, 6),
    "noora": (None, 3),
    "sanna": (None, 0),
}
GUIDES = ["best-studded-winter-bike-tyres", "bike-lights-for-the-polar-night"]


@pytest.fixture
def world(make_guide):
    User.objects.create_superuser("admin", "admin@example.com", "x")
    forum_member("moderator", groups=["Moderators"])
    forum_member("editor2", groups=["Editors", "Moderators"])
    now = timezone.now()
    for username, (tier, days) in PEOPLE.items():
        member = forum_member(username, tier=tier, new=True)
        if days:
            User.objects.filter(pk=member.pk).update(date_joined=now - timedelta(days=days))
    for slug in {slug for spec in demo_forum.THREADS for slug in spec.products}:
        make_product(slug=slug, name=slug.replace("-", " ").title())
    for slug in GUIDES:
        make_guide(slug.replace("-", " ").capitalize(), slug=slug, products=[])


def seed() -> None:
    demo_forum.seed_forum(DemoContext(log=lambda message: None))


def test_demo_forum_tells_the_whole_story(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()

    categories = {c.slug: c for c in ForumCategory.objects.select_related("read_tier")}
    names = {c.name for c in categories.values()}
    assert {"Cycling", "Skiing", "Running", "Repair & care", "Gear talk"} <= names
    assert categories["repair-care"].is_qa and categories["gear-talk"].slug == "gear-talk"
    assert categories["gold-lounge"].read_tier.slug == "gold"

    threads = Thread.objects.all()
    assert threads.count() == len(demo_forum.THREADS)
    assert threads.filter(state=Thread.State.VISIBLE).count() == len(demo_forum.THREADS)
    assert threads.filter(products__isnull=False).distinct().count() >= 8
    assert threads.filter(guide__slug__in=GUIDES).count() == sum(
        s.guide in GUIDES for s in demo_forum.THREADS
    )
    assert threads.filter(is_pinned=True).count() == 1 and threads.filter(is_locked=True).count() == 1
    assert threads.filter(tagged_items__isnull=False).distinct().count() == len(demo_forum.THREADS)

    # Counters are the services' own, and agree with the rows.
    for category in categories.values():
        visible = Post.objects.filter(
            thread__category=category, thread__state=Thread.State.VISIBLE, state=Post.State.VISIBLE
        )
        assert category.post_count == visible.count(), category
        assert category.thread_count == category.threads.filter(state=Thread.State.VISIBLE).count()
    for thread in threads:
        assert thread.reply_count == thread.posts.filter(state=Post.State.VISIBLE, number__gt=1).count()

    # Replies from every tier.
    standings = [member_standing(member=m) for m in User.objects.filter(forum_posts__number__gt=1).distinct()]
    assert {standing.tier.slug for standing in standings if standing.tier} == {
        "member",
        "silver",
        "gold",
        "vip",
    }

    # An accepted answer in the Q&A category, which earned its author.
    solved = threads.get(accepted_post__isnull=False)
    assert solved.category.is_qa and solved.accepted_post.author.username == "juha"
    assert PointEntry.objects.filter(member__username="juha", rule__key="accepted-answer").exists()

    # Reactions of every kind; helpful ones earned points.
    assert set(Reaction.objects.values_list("kind", flat=True)) == {"like", "helpful", "thanks"}
    assert PointEntry.objects.filter(rule__key="helpful-reaction").exists()
    post = Post.objects.get(pk=solved.accepted_post_id)
    assert (post.like_count, post.helpful_count, post.thanks_count) == (
        post.reactions.filter(kind="like").count(),
        post.reactions.filter(kind="helpful").count(),
        post.reactions.filter(kind="thanks").count(),
    )

    # The moderators' queue: a new member's link waiting, spam hidden by three flags, and a
    # visible post with one open flag.
    pending = Post.objects.get(state=Post.State.PENDING)
    assert pending.author.username == "sanna" and "https://" in pending.body
    hidden = Post.objects.get(state=Post.State.HIDDEN)
    assert hidden.author.username == "noora"
    assert hidden.flags.filter(state=ForumFlag.State.OPEN).values("member").distinct().count() == 3
    flagged = Post.objects.get(state=Post.State.VISIBLE, flags__isnull=False)
    assert flagged.author.username == "pekka"
    # Hiding took back the spam's points.
    assert sum(PointEntry.objects.filter(member=hidden.author).values_list("amount", flat=True)) == 0

    # Quotes, mentions (with notifications), an edit and a photo.
    assert Post.objects.filter(body__startswith="> [@").count() >= 5
    assert Post.objects.filter(body_html__contains='class="mention"').count() >= 4
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"forum-mention", "forum-quote", "forum-accepted"} <= kinds
    assert Post.objects.filter(edit_count=1).count() == 1
    assert PostImage.objects.count() == 1
    # Every post has been written in the past, in order within its thread.
    for thread in threads:
        times = list(thread.posts.order_by("number").values_list("created_at", flat=True))
        assert times == sorted(times) and times[-1] <= timezone.now()


def test_seeding_again_adds_nothing(world):
    seed()
    counts = (
        ForumCategory.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        Reaction.objects.count(),
        ForumFlag.objects.count(),
        PointEntry.objects.count(),
    )
    seed()
    assert (
        ForumCategory.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        Reaction.objects.count(),
        ForumFlag.objects.count(),
        PointEntry.objects.count(),
    ) == counts


def test_without_the_optional_people_and_pages_it_still_seeds(db):
    # A half-built world (no products, guides or most members): threads of those who exist.
    forum_member("moderator", groups=["Moderators"])
    forum_member("aino", tier="vip")
    forum_member("eero")  # not Gold here: his Gold lounge thread is left out
    seed()
    assert Thread.objects.filter(author__username="aino").count() == 2
    assert not Thread.objects.filter(category__slug="gold-lounge").exists()
    assert Thread.objects.filter(author__username="eero").count() == 1
    assert Thread.objects.filter(author__username="moderator").exists()


def test_check_demo_finds_the_forum_complete(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert demo_checks.forum() == []


def test_check_demo_notices_a_missing_accepted_answer(world):
    seed()
    Thread.objects.update(accepted_post=None)
    assert "the forum demo lacks an accepted answer" in demo_checks.forum()


def test_make_runs_refresh_sends_no_digest_flood_to_the_made_up_addresses(
    world, django_capture_on_commit_callbacks
):
    from django.core import mail

    from community.forum.services.notifications import digest_send_due

    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert Notification.objects.filter(kind__startswith="forum-", read_at__isnull=True).exists()
    demo_forum.refresh_forum(DemoContext(log=lambda message: None))
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 0
    assert mail.outbox == []
