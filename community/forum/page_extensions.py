"""The forum on pages: the discussion below buying guides and the liveliest threads on the home
page (the registry is content/page_extensions.py; product pages: community/forum/product_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from community.forum.selectors import discussion_for, home_highlights
from content.page_extensions import PageExtension, register_page_extension


def guide_discussion_context(*, request: HttpRequest, page) -> dict[str, Any]:
    """Latest replies of the threads linked to the guide (that the reader may read) and the
    "Discuss" link: two queries."""
    return {
        **discussion_for(user=request.user, guide=page),
        "discuss_url": reverse("community:forum_discuss_guide", kwargs={"page_id": page.pk}),
    }


register_page_extension(
    PageExtension(
        key="forum",
        template="community/forum/_discussion.html",
        context=guide_discussion_context,
        page_types=("content.BuyingGuidePage",),
    )
)


def home_highlights_context(*, request: HttpRequest, page) -> dict[str, Any] | None:
    threads = home_highlights(user=request.user)
    if not threads:
        return None
    return {"threads": threads, "forum_url": reverse("community:forum_index")}


register_page_extension(
    PageExtension(
        key="forum-home",
        template="community/forum/_home_highlights.html",
        context=home_highlights_context,
        page_types=("content.HomePage",),
    )
)
