"""What the forum tells the retention insight (the registry is membership/insight/engagement.py):
each member's visible posts and their reactions. Posts moderators hid or deleted are not
counted as activity (they are often spam)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from community.forum.models import Post, Reaction
from membership.insight.engagement import ActivitySource, Window, counts_by_member, register_activity_source


def _visible_posts() -> QuerySet[Post]:
    # A thread's opening text is its post number 1, so threads are counted here too.
    return Post.objects.filter(state=Post.State.VISIBLE, thread__state=Post.State.VISIBLE)


def _forum_posts(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(_visible_posts(), member="author_id", date="created_at", windows=windows)


def _reactions(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(Reaction.objects.all(), member="member_id", date="created_at", windows=windows)


register_activity_source(
    ActivitySource(
        key="forum-posts",
        kind="posted",
        counts=_forum_posts,
        rows=_visible_posts,
        member="author_id",
        date="created_at",
    )
)
register_activity_source(
    ActivitySource(
        key="forum-reactions",
        kind="reacted",
        counts=_reactions,
        rows=Reaction.objects.all,
        member="member_id",
        date="created_at",
    )
)
