"""Reviews on product pages and ratings on guide picks (the registry is
content/product_extensions.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.reviews import selectors
from community.reviews.forms import ReviewForm
from community.reviews.models import Review
from content.product_extensions import ProductExtension, register_product_extension
from hub.versions import REVIEWS, request_versions

REVIEWS_PER_PAGE = 10
# The version is in the key; this only bounds how long an unread summary lingers.
SUMMARY_SECONDS = 24 * 60 * 60
SORT_LABELS = {
    "helpful": _("Most helpful"),
    "newest": _("Newest"),
    "highest": _("Highest rating"),
    "lowest": _("Lowest rating"),
}


def _stars(raw: str | None) -> int | None:
    return int(raw) if raw in {"1", "2", "3", "4", "5"} else None


def rating_summary_cached(request: HttpRequest, product) -> dict[str, Any]:
    """The product's rating summary, kept in the cache for the reviews' version (a review
    written, edited, moderated or deleted bumps it): read with the page's other versions."""
    version = request_versions(request, [REVIEWS])[REVIEWS]
    key = f"reviews:summary:{product.pk}:{version:x}"
    summary = cache.get(key)
    if summary is None:
        summary = selectors.rating_summary(product=product)
        cache.set(key, summary, SUMMARY_SECONDS)
    return summary


def product_reviews_context(*, request: HttpRequest, product) -> dict[str, Any]:
    """The product page's rating summary, the sorted and paged reviews and the review form.
    A fixed number of queries, whatever the number of reviews and photos."""
    viewer = request.user
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    stars = _stars(request.GET.get("stars"))
    summary = rating_summary_cached(request, product)
    reviews = selectors.reviews_for_product(product=product, viewer=viewer, sort=sort, stars=stars)
    paginator = Paginator(reviews, REVIEWS_PER_PAGE)
    # The summary has already counted them: spare the paginator its COUNT query.
    paginator.count = (
        next(row["count"] for row in summary["histogram"] if row["stars"] == stars)
        if stars
        else summary["count"]
    )
    page_obj = paginator.get_page(request.GET.get("page"))
    own = selectors.review_of(member=viewer, product=product)
    query = {"sort": sort, **({"stars": stars} if stars else {})}
    return {
        "product": product,
        "summary": summary,
        "page_obj": page_obj,
        "reviews": list(page_obj.object_list),
        "sort": sort,
        "sorts": list(SORT_LABELS.items()),
        "stars": stars,
        "query_prefix": urlencode(query),
        "own_review": own,
        "form": ReviewForm() if viewer.is_authenticated and own is None else None,
        "States": Review.State,
    }


register_product_extension(
    ProductExtension(
        key="reviews",
        template="community/reviews/product_reviews.html",
        summary_template="community/reviews/product_rating.html",
        context=product_reviews_context,
        ratings=selectors.product_ratings,
        order=10,
    )
)
