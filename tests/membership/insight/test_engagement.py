"""The engagement registry (membership/insight/engagement.py) and what the community reports
through it (community/<feature>/insight_sources.py): activity counted per member in time windows, one
query per source, and 1-2 star reviews as negative feedback. Data through the real services."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from community.events.services import live
from community.events.services.rsvps import attendance_tick
from community.forum.services.moderation import post_hide
from community.forum.services.posts import reaction_toggle
from community.reviews.services.helpful import review_helpful_toggle
from community.reviews.services.moderation import review_approve, review_reject
from community.reviews.services.reviews import review_create
from content.events import EventAccess
from membership.insight import engagement
from membership.insight.engagement import ActivitySource, Window
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    # A minute ahead: rows the services date "now" fall inside windows that end here.
    return timezone.now() + timedelta(minutes=1)


def windows_for(now) -> list[Window]:
    return [
        Window(start=now - timedelta(days=30), end=now),  # the last 30 days
        Window(start=now - timedelta(days=90), end=now - timedelta(days=30)),  # the 60 before
        Window(start=None, end=now),  # ever
    ]


@pytest.fixture
def moderator():
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


def test_forum_posts_count_while_visible(now, moderator):
    aino = forum_member("aino")
    eero = forum_member("eero")
    thread = start_thread(aino, make_category(), now=now - timedelta(days=60))
    reply(aino, thread, "Tubeless.", now=now - timedelta(days=10))
    hidden = reply(aino, thread, "Buy from example.org!", now=now - timedelta(days=5))
    post_hide(post=hidden, moderator=moderator, reason="Spam")
    reply(eero, thread, "Agreed.", now=now - timedelta(days=100))

    counts = engagement.activity_counts(windows=windows_for(now))

    assert counts[aino.pk] == [1, 1, 2]  # the reply; the opening post; both (the hidden one never)
    assert counts[eero.pk] == [0, 0, 1]
    assert moderator.pk not in counts


def test_reviews_reactions_and_helpful_votes(now, moderator):
    aino, eero, liisa = forum_member("aino"), forum_member("eero"), forum_member("liisa")
    product, other = make_product(), make_product()
    # Aino's first reviews wait for a moderator; the older one is then published.
    published = review_create(
        author=aino,
        product=product,
        rating=5,
        title="Grippy",
        body="Great on ice.",
        now=now - timedelta(days=40),
    )
    pending = review_create(
        author=aino, product=other, rating=4, title="Fine", body="OK.", now=now - timedelta(days=2)
    )
    review_approve(review=published, moderator=moderator)
    rejected = review_create(author=eero, product=product, rating=1, title="Bad", body="Spam spam.", now=now)
    review_reject(review=rejected, moderator=moderator, reason="Not about the product.")
    review_helpful_toggle(review=published, member=liisa)
    post = start_thread(aino, make_category(), now=now - timedelta(days=3)).posts.get()
    reaction_toggle(member=eero, post=post, kind="like", now=now - timedelta(days=1))

    counts = engagement.activity_counts(windows=windows_for(now))

    assert pending.state == "pending"
    assert counts[aino.pk] == [2, 1, 3]  # the pending review and the thread; the published review
    assert counts[eero.pk] == [1, 0, 1]  # the reaction (the rejected review is not activity)
    assert counts[liisa.pk] == [1, 0, 1]  # a helpful vote


def test_live_event_questions_votes_chat_and_attendance(now, moderator):
    aino, eero = forum_member("aino"), forum_member("eero")
    started = timezone.now() - timedelta(minutes=30)
    event = make_event(access=EventAccess.MEMBERS, starts_at=started)
    question = live.question_ask(member=aino, event=event, body="How often do I wax?")
    live.question_vote(member=eero, question=question, on=True)
    live.chat_send(member=aino, event=event, body="Hello from Oulu")
    deleted = live.chat_send(member=eero, event=event, body="Buy my skis")
    live.chat_delete(moderator=moderator, message=deleted)
    # Two ticks ten minutes apart: ten minutes in the room is attending.
    attendance_tick(event=event, member_ids=[eero.pk], seconds=600, now=started + timedelta(minutes=5))
    attendance_tick(event=event, member_ids=[eero.pk], seconds=600, now=started + timedelta(minutes=15))

    counts = engagement.activity_counts(windows=windows_for(now))

    assert counts[aino.pk] == [2, 0, 2]  # a question and a chat message
    assert counts[eero.pk] == [2, 0, 2]  # a vote and the attendance (not the deleted message)


def test_negative_feedback_is_one_or_two_stars_in_the_window_whatever_its_moderation(now, moderator):
    aino, eero, liisa = forum_member("aino"), forum_member("eero"), forum_member("liisa")
    product = make_product(name="Kivi trail shoe")
    review_create(
        author=aino, product=product, rating=2, title="Meh", body="Slips.", now=now - timedelta(days=70)
    )
    rejected = review_create(
        author=eero, product=product, rating=1, title="Awful", body="Broke.", now=now - timedelta(days=10)
    )
    review_reject(review=rejected, moderator=moderator, reason="Abusive language.")
    review_create(
        author=liisa, product=product, rating=3, title="OK", body="Fine.", now=now - timedelta(days=5)
    )

    feedback = engagement.negative_feedback(since=now - timedelta(days=60), until=now)

    assert list(feedback) == [eero.pk]
    (item,) = feedback[eero.pk]
    assert (item.rating, item.product, item.date) == (1, "Kivi trail shoe", rejected.created_at)


def test_one_query_per_source_whatever_the_members(now, django_assert_num_queries):
    category = make_category()
    for n in range(5):
        member = forum_member(f"member{n}")
        start_thread(member, category, title=f"Thread {n}", now=now - timedelta(days=n + 1))
    sources = engagement.activity_sources()
    assert {source.kind for source in sources} == {"posted", "reviewed", "reacted", "attended"}
    with django_assert_num_queries(len(sources)):
        counts = engagement.activity_counts(windows=windows_for(now))
    assert len(counts) == 5
    with django_assert_num_queries(len(engagement.feedback_sources())):
        engagement.negative_feedback(since=now - timedelta(days=60), until=now)


def test_another_apps_source_adds_to_the_counts_and_must_answer_every_window(now, monkeypatch):
    aino = forum_member("aino")
    start_thread(aino, make_category(), now=now - timedelta(days=1))
    registry = dict(engagement._ACTIVITY)
    monkeypatch.setattr(engagement, "_ACTIVITY", registry)
    engagement.register_activity_source(
        ActivitySource(
            key="workshops", kind="attended", counts=lambda *, windows: {aino.pk: [1] * len(windows)}
        )
    )
    assert engagement.activity_counts(windows=windows_for(now))[aino.pk] == [2, 1, 2]

    engagement.register_activity_source(
        ActivitySource(key="broken", kind="posted", counts=lambda *, windows: {aino.pk: [1]})
    )
    with pytest.raises(ValueError, match="broken"):
        engagement.activity_counts(windows=windows_for(now))


def test_membership_never_imports_community():
    """Dependencies point one way (community → membership): membership learns about community
    activity only through the registry."""
    root = Path(__file__).resolve().parents[3] / "membership"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(root)}: {name}" for name in names if name.split(".")[0] == "community"
            ]
    assert offenders == []
