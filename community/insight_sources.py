"""What the community tells the retention insight (membership/insight/engagement.py): each
member's activity in the forum, in reviews and in live events, and their reviews of one or
two stars.

Loaded by the registry through ``hub.apps_modules.app_submodules("insight_sources")``, the way
profile sections are. Each source is one grouped query for all members. Content moderators
hid or deleted, and reviews they rejected or removed, is not counted as activity (it is often
spam); a negative review counts as feedback whatever its moderation state, because the
member's disappointment is real either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from community.models import (
    EventAttendance,
    EventChatMessage,
    EventQuestion,
    EventQuestionVote,
    HelpfulVote,
    Post,
    Reaction,
    Review,
)
from membership.insight.engagement import (
    ActivitySource,
    Feedback,
    FeedbackSource,
    Window,
    counts_by_member,
    register_activity_source,
    register_feedback_source,
)

NEGATIVE_RATING = 2  # 1–2 stars are negative feedback


def _forum_posts(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    # A thread's opening text is its post number 1, so threads are counted here too.
    visible = Post.objects.filter(state=Post.State.VISIBLE, thread__state=Post.State.VISIBLE)
    return counts_by_member(visible, member="author_id", date="created_at", windows=windows)


def _reviews(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    written = Review.objects.filter(state__in=[Review.State.PUBLISHED, Review.State.PENDING])
    return counts_by_member(written, member="author_id", date="created_at", windows=windows)


def _reactions(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(Reaction.objects.all(), member="member_id", date="created_at", windows=windows)


def _helpful_votes(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(HelpfulVote.objects.all(), member="member_id", date="created_at", windows=windows)


def _questions(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(
        EventQuestion.objects.all(), member="author_id", date="created_at", windows=windows
    )


def _question_votes(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(
        EventQuestionVote.objects.all(), member="member_id", date="created_at", windows=windows
    )


def _chat(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    kept = EventChatMessage.objects.filter(deleted_at__isnull=True)
    return counts_by_member(kept, member="author_id", date="created_at", windows=windows)


def _attendance(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    # Attended: stayed in the live room long enough to earn the attendance points.
    qualified = EventAttendance.objects.filter(qualified_at__isnull=False)
    return counts_by_member(qualified, member="member_id", date="qualified_at", windows=windows)


for _key, _kind, _counts in [
    ("forum-posts", "posted", _forum_posts),
    ("reviews", "reviewed", _reviews),
    ("forum-reactions", "reacted", _reactions),
    ("review-helpful-votes", "reacted", _helpful_votes),
    ("event-questions", "posted", _questions),
    ("event-question-votes", "reacted", _question_votes),
    ("event-chat", "posted", _chat),
    ("event-attendance", "attended", _attendance),
]:
    register_activity_source(ActivitySource(key=_key, kind=_kind, counts=_counts))


def _negative_reviews(*, since: datetime, until: datetime) -> list[Feedback]:
    rows = (
        Review.objects.filter(rating__lte=NEGATIVE_RATING, created_at__gte=since, created_at__lt=until)
        .order_by()
        .values_list("author_id", "rating", "created_at", "product__name")
    )
    return [
        Feedback(member_id=member_id, rating=rating, date=created_at, product=product)
        for member_id, rating, created_at, product in rows
    ]


register_feedback_source(FeedbackSource(key="reviews", negative=_negative_reviews))
