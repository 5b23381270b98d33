"""What reviews tell the retention insight (the registry is membership/insight/engagement.py):
each member's reviews and helpful votes as activity, and their reviews of one or two stars as
negative feedback.

Reviews moderators rejected or removed are not counted as activity (they are often spam); a
negative review counts as feedback whatever its moderation state, because the member's
disappointment is real either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet

from community.reviews.models import HelpfulVote, Review
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


def _written() -> QuerySet[Review]:
    return Review.objects.filter(state__in=[Review.State.PUBLISHED, Review.State.PENDING])


def _reviews(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(_written(), member="author_id", date="created_at", windows=windows)


def _negative() -> QuerySet[Review]:
    return Review.objects.filter(rating__lte=NEGATIVE_RATING)


def _helpful_votes(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(HelpfulVote.objects.all(), member="member_id", date="created_at", windows=windows)


def _negative_reviews(*, since: datetime, until: datetime) -> list[Feedback]:
    rows = (
        _negative()
        .filter(created_at__gte=since, created_at__lt=until)
        .order_by()
        .values_list("author_id", "rating", "created_at", "product__name")
    )
    return [
        Feedback(member_id=member_id, rating=rating, date=created_at, product=product)
        for member_id, rating, created_at, product in rows
    ]


register_activity_source(
    ActivitySource(
        key="reviews", kind="reviewed", counts=_reviews, rows=_written, member="author_id", date="created_at"
    )
)
register_activity_source(
    ActivitySource(
        key="review-helpful-votes",
        kind="reacted",
        counts=_helpful_votes,
        rows=HelpfulVote.objects.all,
        member="member_id",
        date="created_at",
    )
)
register_feedback_source(
    FeedbackSource(
        key="reviews", negative=_negative_reviews, rows=_negative, member="author_id", date="created_at"
    )
)
