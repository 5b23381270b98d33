"""Moderators approve, reject or remove reviews. Each decision is recorded in Wagtail's audit
log (actions registered in community/reviews/wagtail_hooks.py) with the moderator and the reason, and
the author is told by a notification."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from community.reviews.models import Review
from community.reviews.services.reviews import review_publish
from membership.languages import in_member_language
from membership.models import User
from membership.services.notifications import notification_send
from membership.services.points import points_reverse_source

APPROVE = "community.review.approve"
REJECT = "community.review.reject"
REMOVE = "community.review.remove"


class ModerationError(ValidationError):
    """The review is not in a state this decision applies to; the message says why."""


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("product", "author").get(pk=review.pk)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(_("Give a reason: the author will see it."), code="reason_required")
    return reason[:500]


def _decided(review: Review, *, moderator: User, reason: str, now: datetime) -> None:
    review.moderated_by = moderator
    review.moderated_at = now
    review.moderation_reason = reason


@transaction.atomic
def review_approve(*, review: Review, moderator: User, now: datetime | None = None) -> Review:
    """Publish a waiting (or earlier rejected) review; the author earns its points."""
    now = now or timezone.now()
    review = _locked(review)
    if review.state not in (Review.State.PENDING, Review.State.REJECTED):
        raise ModerationError(_("Only reviews waiting for moderation or rejected ones can be approved."))
    if review.author_id == moderator.pk:
        # A second pair of eyes, as for buying guides: nobody approves their own writing.
        raise ModerationError(_("Another moderator has to approve your own review."))
    _decided(review, moderator=moderator, reason="", now=now)
    review.save(update_fields=["moderated_by", "moderated_at", "moderation_reason"])
    review_publish(review=review, now=now)
    log(instance=review, action=APPROVE, user=moderator, data={"product": review.product.name})
    with in_member_language(review.author):
        notification_send(
            recipient=review.author,
            kind="review-approved",
            title=_("Your review of %(product)s is published") % {"product": review.product.name},
            body=_("Thank you for sharing your experience."),
            url=review.get_absolute_url(),
        )
    return review


@transaction.atomic
def review_reject(*, review: Review, moderator: User, reason: str, now: datetime | None = None) -> Review:
    """Turn down a waiting review, telling the author why; they may edit it and resubmit."""
    now = now or timezone.now()
    reason = _reason(reason)
    review = _locked(review)
    if review.state != Review.State.PENDING:
        raise ModerationError(_("Only reviews waiting for moderation can be rejected."))
    _decided(review, moderator=moderator, reason=reason, now=now)
    review.state = Review.State.REJECTED
    review.save(update_fields=["state", "moderated_by", "moderated_at", "moderation_reason"])
    log(
        instance=review,
        action=REJECT,
        user=moderator,
        data={"reason": reason, "product": review.product.name},
    )
    with in_member_language(review.author):
        notification_send(
            recipient=review.author,
            kind="review-rejected",
            title=_("Your review of %(product)s was not published") % {"product": review.product.name},
            body=_("Reason: %(reason)s. You can edit the review and send it again.") % {"reason": reason},
            url=reverse("community:review_edit", kwargs={"pk": review.pk}),
        )
    return review


@transaction.atomic
def review_remove(*, review: Review, moderator: User, reason: str, now: datetime | None = None) -> Review:
    """Take a review down for good and reverse the points it earned."""
    now = now or timezone.now()
    reason = _reason(reason)
    review = _locked(review)
    if review.state == Review.State.REMOVED:
        raise ModerationError(_("This review has already been removed."))
    was_published = review.state == Review.State.PUBLISHED
    _decided(review, moderator=moderator, reason=reason, now=now)
    review.state = Review.State.REMOVED
    review.save(update_fields=["state", "moderated_by", "moderated_at", "moderation_reason"])
    reversed_entries = points_reverse_source(
        source=review, reason=f"Review removed by a moderator: {reason}", actor=moderator
    )
    log(
        instance=review,
        action=REMOVE,
        user=moderator,
        data={
            "reason": reason,
            "product": review.product.name,
            "was_published": was_published,
            # A reversal row is negative; a pending entry reversed whole is returned as itself.
            "points_reversed": sum(abs(entry.amount) for entry in reversed_entries),
        },
    )
    with in_member_language(review.author):
        notification_send(
            recipient=review.author,
            kind="review-removed",
            title=_("A moderator removed your review of %(product)s") % {"product": review.product.name},
            body=(
                _("Reason: %(reason)s. The points it earned have been taken back.")
                if reversed_entries
                else _("Reason: %(reason)s.")
            )
            % {"reason": reason},
            url=review.product.get_absolute_url(),
        )
    return review
