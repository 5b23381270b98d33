"""The forum on pages: the discussion below buying guides and the liveliest threads on the home
page (the registry is content/page_extensions.py; product pages: community/forum/product_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from community.forum.access import can_moderate_forum, member_banned, reader_preload
from community.forum.selectors import discussion_for, home_highlights
from content.page_extensions import PageExtension, register_page_extension
from membership.models import User
from membership.selectors import member_level


def reader_kind(user: User | AnonymousUser) -> str:
    """Readers who may read the same categories share this: a moderator, a banned member, or
    the level (tier threshold) that opens categories. Read from what access checks load
    anyway (permissions, sanctions, standing), or reads the last two in one query."""
    if can_moderate_forum(user):
        return "moderator"
    reader_preload(user)
    if member_banned(user):
        return "banned"
    return f"level:{member_level(user)}"


def guide_discussion_context(*, request: HttpRequest, page) -> dict[str, Any]:
    """Latest replies of the threads linked to the guide (that the reader may read) and the
    "Discuss" link. The box is a cached fragment per guide and kind of reader (content's
    ``{% fragment %}``, the FORUM version): the two queries run only when it is rendered afresh."""
    found = SimpleLazyObject(lambda: discussion_for(user=request.user, guide=page))
    return {
        "threads": SimpleLazyObject(lambda: found["threads"]),
        "posts": SimpleLazyObject(lambda: found["posts"]),
        "discuss_url": reverse("community:forum_discuss_guide", kwargs={"page_id": page.pk}),
        "fragment": "guide-discussion",
        "fragment_vary": f"{page.pk}:{reader_kind(request.user)}",
    }


register_page_extension(
    PageExtension(
        key="forum",
        template="community/forum/_discussion.html",
        context=guide_discussion_context,
        page_types=("content.BuyingGuidePage",),
    )
)


def home_highlights_context(*, request: HttpRequest, page) -> dict[str, Any]:
    """The liveliest threads the reader may read. A cached fragment per kind of reader (the
    categories one may read follow it) and the FORUM version, which a new thread or post bumps:
    the threads query runs only when it is rendered afresh. An empty list renders nothing."""
    return {
        "threads": SimpleLazyObject(lambda: home_highlights(user=request.user)),
        "forum_url": reverse("community:forum_index"),
        "fragment": "home-forum-highlights",
        "fragment_vary": reader_kind(request.user),
    }


register_page_extension(
    PageExtension(
        key="forum-home",
        template="community/forum/_home_highlights.html",
        context=home_highlights_context,
        page_types=("content.HomePage",),
    )
)
