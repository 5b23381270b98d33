"""Reads of reviews, with who-may-see-what built in: the public sees published reviews only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Avg,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.fields import BooleanField

from community.reviews.models import HelpfulVote, Review, ReviewPhoto
from content.models import Product
from membership.models import Order, OrderLine, User

SORTS = {
    "helpful": ["-helpful_count", "-created_at", "-id"],
    "newest": ["-created_at", "-id"],
    "highest": ["-rating", "-helpful_count", "-created_at", "-id"],
    "lowest": ["rating", "-helpful_count", "-created_at", "-id"],
}
DEFAULT_SORT = "helpful"


def _bought(*, member: int | OuterRef, product: int | OuterRef) -> QuerySet[OrderLine]:
    """Order lines that make ``member`` a verified buyer of ``product``: the one rule behind
    the "Verified buyer" label and whether a review earns points."""
    return OrderLine.objects.filter(order__member=member, product=product).exclude(
        order__status=Order.Status.REFUNDED
    )


def verified_buyer() -> Exists:
    """True when the review's author has an order with the product that was not refunded in
    full. Annotated on a whole page of reviews in its one query, never looked up per review."""
    return Exists(_bought(member=OuterRef("author_id"), product=OuterRef("product_id")))


def is_verified_buyer(*, member_id: int, product_id: int) -> bool:
    """The same rule as ``verified_buyer`` for one member and product."""
    return _bought(member=member_id, product=product_id).exists()


def _photos() -> Prefetch[str, QuerySet[ReviewPhoto], str]:
    return Prefetch("photos", queryset=ReviewPhoto.objects.order_by("id"))


def review_photos_read(reviews: list[Review]) -> None:
    """The photos of reviews read without them (``photos=False``), in one query."""
    prefetch_related_objects(reviews, _photos())


def _with_display(
    queryset: QuerySet[Review], *, viewer: User | AnonymousUser | None = None, photos: bool = True
) -> QuerySet[Review]:
    """What a review card shows: author, photos, verified buyer and the viewer's vote."""
    queryset = queryset.select_related("author").annotate(verified_buyer=verified_buyer())
    if photos:
        queryset = queryset.prefetch_related(_photos())
    if viewer is not None and viewer.is_authenticated:
        return queryset.annotate(
            viewer_found_helpful=Exists(HelpfulVote.objects.filter(review=OuterRef("pk"), member=viewer))
        )
    return queryset.annotate(viewer_found_helpful=Value(False, output_field=BooleanField()))


def reviews_for_product(
    *,
    product: Product,
    viewer: User | AnonymousUser | None = None,
    sort: str = DEFAULT_SORT,
    stars: int | None = None,
    photos: bool = True,
) -> QuerySet[Review]:
    """Published reviews of the product, sorted, optionally only those with ``stars``; with
    ``photos=False`` their photos are left for ``review_photos_read``."""
    reviews = Review.objects.filter(product=product, state=Review.State.PUBLISHED)
    if stars:
        reviews = reviews.filter(rating=stars)
    return _with_display(reviews, viewer=viewer, photos=photos).order_by(
        *SORTS.get(sort, SORTS[DEFAULT_SORT])
    )


def published_reviews_for_feed() -> QuerySet[Review]:
    """Every published review with what the Merchant Center feed shows (community/reviews/feed.py),
    oldest first so a new review adds to the end."""
    return (
        Review.objects.filter(state=Review.State.PUBLISHED)
        .select_related("author", "product")
        .prefetch_related(_photos())
        .annotate(verified_buyer=verified_buyer())
        .order_by("created_at", "pk")
    )


def rating_summary(*, product: Product) -> dict[str, Any]:
    """Average, count and a histogram of the product's published reviews, in one query."""
    totals = Review.objects.filter(product=product, state=Review.State.PUBLISHED).aggregate(
        average=Avg("rating"),
        count=Count("id"),
        **{f"stars_{n}": Count("id", filter=Q(rating=n)) for n in range(1, 6)},
    )
    count = totals["count"]
    histogram = [
        {
            "stars": n,
            "count": totals[f"stars_{n}"],
            "percent": round(totals[f"stars_{n}"] * 100 / count) if count else 0,
        }
        for n in range(5, 0, -1)
    ]
    average = round(float(totals["average"]), 1) if totals["average"] is not None else None
    return {"average": average, "count": count, "histogram": histogram}


def product_ratings(product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Schema.org AggregateRating fields for each product with at least one published review."""
    rows = (
        Review.objects.filter(product_id__in=product_ids, state=Review.State.PUBLISHED)
        .values("product_id")
        .annotate(average=Avg("rating"), count=Count("id"))
        .order_by()
    )
    return {
        row["product_id"]: {
            "ratingValue": round(float(row["average"]), 1),
            "reviewCount": row["count"],
            "bestRating": 5,
            "worstRating": 1,
        }
        for row in rows
        if row["count"]
    }


def review_of(*, member: User | AnonymousUser | None, product: Product) -> Review | None:
    """The member's own review of the product, whatever its state."""
    if member is None or not member.is_authenticated:
        return None
    return Review.objects.filter(author=member, product=product).first()


def review_for_edit(*, pk: int) -> Review | None:
    return (
        Review.objects.select_related("product", "author").prefetch_related(_photos()).filter(pk=pk).first()
    )


def review_published(*, pk: int) -> Review | None:
    return Review.objects.select_related("product").filter(pk=pk, state=Review.State.PUBLISHED).first()


def reviews_for_profile(*, member: User, is_self: bool, limit: int = 20) -> list[Review]:
    """The member's reviews: every state for themselves, published ones for anybody else."""
    reviews = Review.objects.filter(author=member)
    if not is_self:
        reviews = reviews.filter(state=Review.State.PUBLISHED)
    return list(
        reviews.select_related("product")
        .annotate(verified_buyer=verified_buyer(), photo_count=Count("photos"))
        .order_by("-created_at", "-id")[:limit]
    )


def moderation_queue(*, state: str = Review.State.PENDING) -> QuerySet[Review]:
    """Reviews in one state for moderators, oldest waiting first."""
    order = ["created_at", "id"] if state == Review.State.PENDING else ["-moderated_at", "-created_at", "-id"]
    return (
        Review.objects.filter(state=state)
        .select_related("author", "product", "moderated_by")
        .prefetch_related(_photos())
        .annotate(verified_buyer=verified_buyer())
        .order_by(*order)
    )


def moderation_counts() -> dict[str, int]:
    counts = dict.fromkeys(Review.State.values, 0)
    for row in Review.objects.values("state").annotate(n=Count("id")).order_by():
        counts[row["state"]] = row["n"]
    return counts
