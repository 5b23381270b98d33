"""Moderators approve, reject and remove reviews: logged, notified, points reversed on removal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from community.models import Review
from community.reviews.services.moderation import review_approve, review_reject, review_remove
from membership.models import MemberStanding, Notification, PointEntry
from tests.community.conftest import write_review
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def log_for(review) -> list[tuple[str, int, dict]]:
    return [
        (entry.action, entry.user_id, entry.data)
        for entry in ModelLogEntry.objects.filter(object_id=str(review.pk)).order_by("timestamp", "id")
    ]


def test_approval_is_logged_and_notified(author, moderator, product, django_capture_on_commit_callbacks):
    review = write_review(author, product)
    with django_capture_on_commit_callbacks(execute=True):
        review_approve(review=review, moderator=moderator)
    assert log_for(review)[0][:2] == ("community.review.approve", moderator.pk)
    notification = Notification.objects.get(recipient=author, kind="review-approved")
    assert product.name in notification.title
    assert notification.url.endswith(f"#review-{review.pk}")


def test_rejection_needs_a_reason_that_the_author_sees(author, moderator, product):
    review = write_review(author, product)
    with pytest.raises(ValidationError):
        review_reject(review=review, moderator=moderator, reason="   ")
    review = review_reject(
        review=review, moderator=moderator, reason="Please review the product, not the delivery"
    )
    assert review.state == Review.State.REJECTED
    assert review.moderated_by == moderator and review.moderation_reason.startswith("Please review")
    notification = Notification.objects.get(recipient=author, kind="review-rejected")
    assert "not the delivery" in notification.body
    assert notification.url == f"/reviews/{review.pk}/edit/"
    assert log_for(review) == [
        (
            "community.review.reject",
            moderator.pk,
            {"reason": "Please review the product, not the delivery", "product": product.name},
        )
    ]
    assert not PointEntry.objects.filter(member=author).exists()


def test_only_waiting_reviews_can_be_rejected(author, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    with pytest.raises(ValidationError, match="Only reviews waiting"):
        review_reject(review=review, moderator=moderator, reason="Too late")


def test_removal_reverses_the_points_and_tells_the_author(author, moderator, product):
    review = write_review(author, product, photos=1, approve_by=moderator, bought=True)
    earned = PointEntry.objects.filter(member=author, rule__key__in=["review", "review-photo"])
    assert sorted(earned.values_list("amount", "state")) == [(25, "pending"), (50, "pending")]
    review_remove(review=review, moderator=moderator, reason="Copied from another site")
    review.refresh_from_db()
    assert review.state == Review.State.REMOVED
    # Still pending when removed: they are reversed whole and never become spendable.
    assert set(earned.values_list("state", flat=True)) == {"reversed"}
    assert MemberStanding.objects.get(member=author).spendable_points == 0
    action, user_id, data = log_for(review)[-1]
    assert (action, user_id, data["reason"], data["points_reversed"]) == (
        "community.review.remove",
        moderator.pk,
        "Copied from another site",
        75,
    )
    assert "taken back" in Notification.objects.get(recipient=author, kind="review-removed").body
    with pytest.raises(ValidationError, match="already been removed"):
        review_remove(review=review, moderator=moderator, reason="Again")


def test_a_removed_review_cannot_be_approved_again(author, moderator, product):
    review = write_review(author, product)
    review_remove(review=review, moderator=moderator, reason="Spam")
    with pytest.raises(ValidationError):
        review_approve(review=review, moderator=moderator)
    assert not PointEntry.objects.filter(member=author).exists()


def test_moderators_do_not_approve_their_own_reviews(moderator, product):
    review = write_review(moderator, product)
    with pytest.raises(ValidationError, match="Another moderator"):
        review_approve(review=review, moderator=moderator)
    assert review_approve(review=review, moderator=make_member("helmi", groups=["Moderators"])).is_published
