"""Concurrent forum writes: replies at once get consecutive numbers and exact counters,
reactions at once are all counted. Runs on the suite's database (CI: SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from community.forum.services.posts import reaction_toggle
from community.models import ForumCategory, Post, Reaction, Thread
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.conftest import content_types_committed, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _migrated(migrated_rows):
    return migrated_rows


def test_replies_posted_at_once_are_numbered_without_gaps_or_collisions():
    category = make_category()
    thread = start_thread(forum_member("opener"), category)
    members = [forum_member(f"replier{n}") for n in range(6)]
    content_types_committed()
    _results, errors = run_in_threads(6, lambda n: reply(members[n], thread, body=f"Reply number {n}"))
    assert errors == []
    assert sorted(Post.objects.filter(thread=thread).values_list("number", flat=True)) == list(range(1, 8))
    thread = Thread.objects.get(pk=thread.pk)
    assert (thread.reply_count, thread.last_number) == (6, 7)
    assert ForumCategory.objects.get(pk=category.pk).post_count == 7


def test_reactions_at_once_are_all_counted():
    category = make_category()
    post = start_thread(forum_member("writer"), category).posts.get()
    members = [forum_member(f"fan{n}") for n in range(8)]
    content_types_committed()
    _results, errors = run_in_threads(
        8, lambda n: reaction_toggle(member=members[n], post=post, kind="helpful", on=True)
    )
    assert errors == []
    post.refresh_from_db()
    assert post.helpful_count == Reaction.objects.filter(post=post).count() == 8


def test_one_member_posting_twice_at_once_gets_one_post_and_one_refusal():
    from hub.rate_limits import RateLimited

    category = make_category()
    thread = start_thread(forum_member("opener"), category)
    member = forum_member("hasty")
    content_types_committed()
    results, errors = run_in_threads(
        2, lambda n: reply(member, thread, body=f"Double click {n}", enforce_limits=True).pk
    )
    # The member's row lock makes the second wait and then see the first: 5 s between posts.
    assert len(results) == 1
    assert [type(error) for error in errors] == [RateLimited]
    assert Post.objects.filter(author=member).count() == 1
