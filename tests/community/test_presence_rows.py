"""community/presence.py's rows: a socket entering is one statement, and entering again
(a channel seen before, on another topic) moves its row without losing what else it holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.forum.models import ForumPresence
from community.forum.sockets import presence_replying, thread_presence
from community.presence import presence_enter
from tests.community.forum_factories import forum_member, make_category, start_thread

pytestmark = pytest.mark.django_db


def test_entering_is_one_statement_and_entering_again_moves_the_row(django_assert_num_queries):
    author = forum_member("aino")
    category = make_category()
    first, second = start_thread(author, category), start_thread(author, category, title="Lights?")
    with django_assert_num_queries(1):
        presence_enter(ForumPresence, topic_id=first.pk, channel_name="c1", member_id=None)
    presence_enter(ForumPresence, topic_id=first.pk, channel_name="c2", member_id=author.pk)
    presence_replying(channel_name="c2", replying=True)
    assert thread_presence(thread_id=first.pk) == {"reading": 2, "replying": 1}

    later = timezone.now() + timedelta(seconds=5)
    with django_assert_num_queries(1):
        presence_enter(ForumPresence, topic_id=second.pk, channel_name="c2", member_id=author.pk, now=later)
    row = ForumPresence.objects.get(channel_name="c2")
    assert (row.thread_id, row.member_id, row.seen_at) == (second.pk, author.pk, later)
    assert row.replying_until is not None  # kept, as update_or_create kept it
    assert ForumPresence.objects.count() == 2
    assert thread_presence(thread_id=first.pk) == {"reading": 1, "replying": 0}
    assert thread_presence(thread_id=second.pk, now=later) == {"reading": 1, "replying": 1}
