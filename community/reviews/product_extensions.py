"""Reviews on product pages and ratings on guide picks (the registry is
content/product_extensions.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from community.reviews import selectors
from community.reviews.forms import ReviewForm
from community.reviews.models import Review
from content.fragments import CSRF_MARKER, fragments_many
from content.product_extensions import ProductExtension, register_product_extension
from hub.versions import REVIEWS, request_versions

REVIEWS_PER_PAGE = 10
CARD_TEMPLATE = "community/reviews/review_card.html"
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


def review_cards(request: HttpRequest, reviews: list[Review]) -> list[SafeString]:
    """Each review's card as this reader sees it, a cached fragment of the reviews' version
    per review and variant: signed in or not, the reader's own review (no helpful button),
    whether they found it helpful, and the address the helpful button comes back to. Its
    photos are read only when a card is rendered afresh."""
    template = get_template(CARD_TEMPLATE).template  # type: ignore[attr-defined]
    user = request.user
    next_url = request.get_full_path()
    photos_read = False

    def render(review: Review) -> str:
        nonlocal photos_read
        if not photos_read:
            selectors.review_photos_read(reviews)
            photos_read = True
        context = {
            "review": review,
            "user": user,
            "request": request,
            "next": next_url,
            "csrf_token": CSRF_MARKER,
        }
        return template.render(Context(context, autoescape=True))

    items = []
    for review in reviews:
        author = review.author
        vary = (
            review.pk,
            "member" if user.is_authenticated else "anonymous",
            user.is_authenticated and user.pk == review.author_id,
            # Annotated by selectors.reviews_for_product.
            review.viewer_found_helpful,  # type: ignore[attr-defined]
            # Not in the reviews' version: the author's orders and profile.
            review.verified_buyer,  # type: ignore[attr-defined]
            author.username,
            author.display_name,
            author.avatar.name,
            next_url,
        )
        items.append((vary, lambda review=review: render(review)))
    csrf = SimpleLazyObject(lambda: get_token(request))
    return fragments_many(request, "review-card", items, tags=[REVIEWS], csrf=csrf)


def product_reviews_context(*, request: HttpRequest, product) -> dict[str, Any]:
    """The product page's rating summary, the sorted and paged reviews and the review form.
    A fixed number of queries, whatever the number of reviews and photos."""
    viewer = request.user
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    stars = _stars(request.GET.get("stars"))
    summary = rating_summary_cached(request, product)
    reviews = selectors.reviews_for_product(
        product=product, viewer=viewer, sort=sort, stars=stars, photos=False
    )
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
        "reviews": review_cards(request, list(page_obj.object_list)),
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
