"""Writing and editing reviews: one per member and product, premoderation, points by the book."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from community.models import Review
from community.reviews.services.reviews import (
    ReviewExists,
    review_create,
    review_needs_moderation,
    review_update,
)
from membership.models import PointEntry
from tests.community.conftest import photo, veteran, write_review
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def points_of(member) -> int:
    """What the member's reviews earned, pending or approved (buying made them pending
    purchase points too; those are not counted here)."""
    entries = PointEntry.objects.filter(
        member=member,
        rule__key__in=["review", "review-photo"],
        state__in=[PointEntry.State.PENDING, PointEntry.State.APPROVED],
    )
    return sum(entries.values_list("amount", flat=True))


def test_one_review_per_member_and_product_is_a_database_constraint(author, product):
    write_review(author, product)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            author=author, product=product, rating=3, title="Again", body="x", body_html="x"
        )


def test_rating_outside_one_to_five_is_refused_by_the_database(author, product):
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(author=author, product=product, rating=6, title="Six", body="x", body_html="x")


def test_a_second_review_of_the_same_product_goes_to_the_first(author, product):
    first = write_review(author, product)
    with pytest.raises(ReviewExists) as raised:
        write_review(author, product, title="Second thoughts")
    assert raised.value.review.pk == first.pk
    assert Review.objects.filter(author=author).count() == 1


def test_bad_input_stores_nothing(author, product):
    with pytest.raises(ValidationError):
        review_create(author=author, product=product, rating=0, title="Zero", body="x")
    with pytest.raises(ValidationError):
        review_create(author=author, product=product, rating=3, title="  ", body="x")
    assert not Review.objects.exists()


def test_body_is_stored_as_markdown_and_sanitised_html(author, moderator, product):
    review = write_review(author, product, body="**Great** <script>x()</script> [maker](javascript:alert(1))")
    assert review.body.startswith("**Great** <script>")
    assert "<strong>Great</strong>" in review.body_html
    assert "<script" not in review.body_html and "javascript:" not in review.body_html


def test_a_first_review_waits_for_moderation_and_approval_grants_the_points(author, moderator, product):
    review = write_review(author, product, bought=True)
    assert review.state == Review.State.PENDING
    assert points_of(author) == 0 and not review.incentivised
    from community.reviews.services.moderation import review_approve

    review = review_approve(review=review, moderator=moderator)
    assert review.state == Review.State.PUBLISHED and review.published_at
    assert review.incentivised
    assert points_of(author) == 50


def test_members_with_a_published_review_publish_at_once(author, moderator):
    write_review(author, make_product(), approve_by=moderator, bought=True)
    second = write_review(author, make_product(), photos=1, bought=True)
    assert second.state == Review.State.PUBLISHED
    assert points_of(author) == 50 + 50 + 25


def test_new_members_wait_even_with_a_published_review(moderator):
    newcomer = make_member("sanna")  # joined today
    write_review(newcomer, make_product(), approve_by=moderator)
    assert review_needs_moderation(member=newcomer)
    assert not review_needs_moderation(member=newcomer, now=timezone.now() + timedelta(days=8))


def test_premoderation_can_be_switched_off(settings, product):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False
    review = write_review(make_member("juha"), product)
    assert review.state == Review.State.PUBLISHED


def test_a_one_star_and_a_five_star_review_earn_the_same_points(moderator):
    grumpy, happy = veteran("grumpy"), veteran("happy")
    product = make_product()
    one = write_review(
        grumpy, product, rating=1, title="Punctured", photos=1, approve_by=moderator, bought=True
    )
    five = write_review(
        happy, product, rating=5, title="Perfect", photos=1, approve_by=moderator, bought=True
    )
    assert points_of(grumpy) == points_of(happy) == 75
    amounts = lambda review: sorted(  # noqa: E731
        PointEntry.objects.filter(
            source_id=str(review.pk), member=review.author, rule__key__in=["review", "review-photo"]
        ).values_list("amount", flat=True)
    )
    assert amounts(one) == amounts(five) == [25, 50]


def test_editing_keeps_the_state_and_marks_the_review_edited(author, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    edited = review_update(review=review, rating=2, title="Studs fell out", body="After a month.")
    assert edited.state == Review.State.PUBLISHED
    assert edited.edited_at is not None and edited.rating == 2
    assert "After a month." in edited.body_html


def test_saving_without_changes_is_not_an_edit(author, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    same = review_update(review=review, rating=review.rating, title=review.title, body=review.body)
    assert same.edited_at is None


def test_a_photo_added_by_editing_earns_the_bonus_once_and_removing_it_keeps_it(author, moderator, product):
    review = write_review(author, product, approve_by=moderator, bought=True)
    assert points_of(author) == 50
    review = review_update(review=review, rating=4, title="Solid", body="x", new_photos=[photo()])
    assert points_of(author) == 75
    first = review.photos.get()
    review = review_update(review=review, rating=4, title="Solid", body="x", remove_photo_ids=[first.pk])
    review = review_update(review=review, rating=4, title="Solid", body="x", new_photos=[photo()])
    assert points_of(author) == 75
    assert PointEntry.objects.filter(member=author, rule__key="review-photo").count() == 1


def test_editing_a_rejected_review_sends_it_back_to_moderation(author, moderator, product):
    from community.reviews.services.moderation import review_reject

    review = write_review(author, product)
    review_reject(review=review, moderator=moderator, reason="Off topic")
    review = review_update(review=review, rating=3, title="About the tyre", body="On topic now.")
    assert review.state == Review.State.PENDING
    assert review.moderation_reason == ""
