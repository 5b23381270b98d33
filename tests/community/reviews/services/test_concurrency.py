"""Concurrent writes to reviews: a double-clicked submit makes one review, votes at once all count.

Runs on whatever database the suite uses (CI runs it on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from community.models import HelpfulVote, Review
from community.reviews.services.helpful import review_helpful_toggle
from community.reviews.services.reviews import ReviewExists, review_create
from content.models import Product
from membership.models import PointEntry
from tests.community.conftest import buy, veteran, write_review
from tests.conftest import run_in_threads
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _migrated(migrated_rows):
    return migrated_rows


def make_product(slug: str) -> Product:
    # No image: a transactional test's flush took Wagtail's root collection with it.
    return Product.objects.create(name=slug, slug=slug, sku=slug.upper(), price=10)


def test_a_double_submitted_review_is_written_once(settings):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False
    author, product = make_member("clicker"), make_product("double")
    buy(author, product)  # a verified buyer, so the review earns (once)
    _results, errors = run_in_threads(
        5,
        lambda n: review_create(
            author=author, product=product, rating=4, title=f"Try {n}", body="Same review"
        ),
    )
    assert all(isinstance(error, ReviewExists) for error in errors), errors
    assert len(errors) == 4
    review = Review.objects.get(author=author)
    assert PointEntry.objects.filter(member=author, rule__key="review", source_id=str(review.pk)).count() == 1


def test_helpful_votes_cast_at_once_are_all_counted():
    moderator = make_member("mod", groups=["Moderators"])
    review = write_review(veteran("writer"), make_product("voted"), approve_by=moderator)
    voters = [make_member(f"voter{n}") for n in range(8)]
    _results, errors = run_in_threads(8, lambda n: review_helpful_toggle(review=review, member=voters[n]))
    assert errors == []
    review.refresh_from_db()
    assert review.helpful_count == HelpfulVote.objects.filter(review=review).count() == 8
