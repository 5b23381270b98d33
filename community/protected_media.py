"""Who may see a forum attachment or a review photo by its URL (content/protected_media.py).

A forum image is seen by whoever may read its post: the category's read tier, the thread's
and the post's state (hidden, deleted and waiting posts only by moderators and, while
waiting, their author). Only an image in a category without a read tier, on a visible post
of a visible thread, may be kept by shared caches.

A review photo is public while its review is published; a waiting, rejected or removed
review's photos (kept for the audit trail) are seen by its author and review moderators only.
"""

from __future__ import annotations

from typing import Any

from community.forum.access import post_readable, thread_readable
from community.models import Post, PostImage, Review, ReviewPhoto, Thread
from community.reviews.access import can_moderate_reviews
from content.protected_media import MediaAccess


def forum_image_access(user: Any, name: str) -> MediaAccess | None:
    image = PostImage.objects.select_related("post__thread__category__read_tier").filter(image=name).first()
    if image is None:
        return None
    post, thread = image.post, image.post.thread
    if not (thread_readable(user, thread) and post_readable(user, post)):
        return None
    public = (
        thread.category.read_tier_id is None
        and thread.state == Thread.State.VISIBLE
        and post.state == Post.State.VISIBLE
    )
    return MediaAccess(public=public)


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


PROTECTED_MEDIA = {"forum": forum_image_access, "reviews": review_photo_access}
