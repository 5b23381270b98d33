"""Who may do what with reviews. Each check raises PermissionDenied with a message for the user."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from community.reviews.models import Review
from membership.models import User

MODERATE_PERMISSION = "community.moderate_review"


def can_moderate_reviews(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(MODERATE_PERMISSION))


def check_review_write_permission(user: User | AnonymousUser) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to review products."))


def check_review_edit_permission(user: User | AnonymousUser, review: Review) -> None:
    check_review_write_permission(user)
    if review.author_id != user.pk:
        raise PermissionDenied(_("Only the author can edit this review."))
    if review.state == Review.State.REMOVED:
        raise PermissionDenied(_("A moderator removed this review; it cannot be edited."))


def check_review_helpful_permission(user: User | AnonymousUser, review: Review) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to mark reviews helpful."))
    if review.state != Review.State.PUBLISHED:
        raise PermissionDenied(_("Only published reviews can be marked helpful."))
    if review.author_id == user.pk:
        raise PermissionDenied(_("You cannot mark your own review helpful."))
