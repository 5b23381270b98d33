"""Who may see a review photo by its URL (the registry is content/protected_media.py).

A review photo is public while its review is published; a waiting, rejected or removed
review's photos (kept for the audit trail) are seen by its author and review moderators only.
"""

from __future__ import annotations

from typing import Any

from community.reviews.access import can_moderate_reviews
from community.reviews.models import Review, ReviewPhoto
from content.protected_media import MediaAccess


def review_photo_access(user: Any, name: str) -> MediaAccess | None:
    photo = (
        ReviewPhoto.objects.select_related("review")
        .only("review__state", "review__author_id")
        .filter(image=name)
        .first()
    )
    if photo is None:
        return None
    review = photo.review
    if review.state == Review.State.PUBLISHED:
        return MediaAccess(public=True)
    if (
        user.is_authenticated
        and user.is_active
        and (review.author_id == user.pk or can_moderate_reviews(user))
    ):
        return MediaAccess(public=False)
    return None


PROTECTED_MEDIA = {"reviews": review_photo_access}
