"""Who may see a forum attachment by its URL (the registry is content/protected_media.py).

A forum image is seen by whoever may read its post: the category's read tier, the thread's
and the post's state (hidden, deleted and waiting posts only by moderators and, while
waiting, their author). Only an image in a category without a read tier, on a visible post
of a visible thread, may be kept by shared caches.
"""

from __future__ import annotations

from typing import Any

from community.forum.access import post_readable, thread_readable
from community.forum.models import Post, PostImage, Thread
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


PROTECTED_MEDIA = {"forum": forum_image_access}
