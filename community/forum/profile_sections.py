"""The member's latest forum posts on their profile, those the viewer may read.
The registry is membership/profile_registry.py."""

from __future__ import annotations

from typing import Any

from community.forum.access import readable_categories
from community.forum.models import Post
from membership.profile_registry import ProfileSection, register_profile_section


def _context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    # Only what the viewer may read: a Gold-only thread stays off the profile for others.
    posts = list(
        Post.objects.filter(
            author=member,
            state=Post.State.VISIBLE,
            thread__state=Post.State.VISIBLE,
            thread__category__in=readable_categories(viewer),
        )
        .select_related("thread__category")
        .order_by("-created_at")[:8]
    )
    if not posts and not is_self:
        return None
    return {"posts": posts, "is_self": is_self, "member": member}


register_profile_section(
    ProfileSection(key="forum", template="community/forum/profile_forum.html", context=_context, order=45)
)
