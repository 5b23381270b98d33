"""Helpful votes: once per member, toggled, never on one's own review; the count is recomputable."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from community.models import Review
from community.reviews.services.helpful import review_helpful_toggle, reviews_helpful_recount
from tests.community.conftest import write_review
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_toggle_marks_and_unmarks(author, reader, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    assert review_helpful_toggle(review=review, member=reader) == (True, 1)
    assert review_helpful_toggle(review=review, member=make_member("liisa")) == (True, 2)
    assert review_helpful_toggle(review=review, member=reader) == (False, 1)
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_not_on_ones_own_review_nor_an_unpublished_one(author, reader, product):
    review = write_review(author, product)  # waiting for moderation
    with pytest.raises(PermissionDenied, match="Only published"):
        review_helpful_toggle(review=review, member=reader)
    Review.objects.filter(pk=review.pk).update(state=Review.State.PUBLISHED)
    with pytest.raises(PermissionDenied, match="your own review"):
        review_helpful_toggle(review=review, member=author)


def test_the_stored_count_can_be_recomputed_from_the_votes(author, reader, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    review_helpful_toggle(review=review, member=reader)
    Review.objects.filter(pk=review.pk).update(helpful_count=40)
    assert reviews_helpful_recount() == 1
    review.refresh_from_db()
    assert review.helpful_count == 1
    assert reviews_helpful_recount() == 0
