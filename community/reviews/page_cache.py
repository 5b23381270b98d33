"""Reviews in the page cache (hub/page_cache.py): every review, photo or helpful vote saved or
deleted bumps ``REVIEWS``, which product pages, guides (their picks' ratings) and the home
page depend on. Ratings are computed from the reviews when a page renders, so a rating
changes only with a review's save (created, edited, moderated) or delete."""

from __future__ import annotations

from hub.page_cache import bump_reviews, connect_saves


def connect_receivers() -> None:
    """From CommunityConfig.ready."""
    from community.reviews.models import HelpfulVote, Review, ReviewPhoto

    connect_saves([Review, ReviewPhoto, HelpfulVote], bump_reviews, uid="community.reviews.page_cache")
