"""Helpful votes on reviews: one per member and review, toggled; the count is kept on the
review for sorting and can be recomputed from the votes at any time."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from community.reviews.access import check_review_helpful_permission
from community.reviews.models import HelpfulVote, Review
from hub.page_cache import bump_reviews
from membership.models import User


@transaction.atomic
def review_helpful_toggle(*, review: Review, member: User) -> tuple[bool, int]:
    """Mark the review helpful, or take the mark back. Returns (marked now, new count).
    Raises PermissionDenied on the member's own review or an unpublished one."""
    # The review's row lock orders concurrent votes, so the stored count is always exact.
    review = Review.objects.select_for_update().get(pk=review.pk)
    check_review_helpful_permission(member, review)
    deleted, _ = HelpfulVote.objects.filter(review=review, member=member).delete()
    marked = not deleted
    if marked:
        try:
            with transaction.atomic():
                HelpfulVote.objects.create(review=review, member=member)
        except IntegrityError:
            pass  # a concurrent request of the same member got there first: it is marked
    review.helpful_count = HelpfulVote.objects.filter(review=review).count()
    review.save(update_fields=["helpful_count"])
    return marked, review.helpful_count


def reviews_helpful_recount(*, review_ids: Iterable[int] | None = None) -> int:
    """Recompute stored helpful counts from the votes; returns how many were wrong."""
    votes = (
        HelpfulVote.objects.filter(review=OuterRef("pk"))
        .order_by()
        .values("review")
        .annotate(n=Count("id"))
        .values("n")
    )
    actual = Coalesce(Subquery(votes), 0)
    reviews = Review.objects.all()
    if review_ids is not None:
        reviews = reviews.filter(pk__in=list(review_ids))
    wrong = reviews.annotate(actual=actual).filter(~Q(helpful_count=actual)).values_list("pk", flat=True)
    fixed = Review.objects.filter(pk__in=list(wrong)).update(helpful_count=actual)
    if fixed:
        # update() sends no signal: the cached pages showing these counts go by hand.
        bump_reviews()
    return fixed
