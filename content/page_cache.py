"""Content's pages in the page cache (hub/page_cache.py): what each shows, and the content
changes outside Wagtail's page tree that invalidate them.

Every content page depends on ``CONTENT`` (pages, products, snippets), ``REVIEWS`` (guides,
product picks and product pages show ratings) and ``FORUM`` (the home page's latest threads,
a guide's and a product's discussions come from the forum through the page extensions). An
early-access page shows anonymous readers a teaser until it opens, and the home page and
indexes show it as a card with an early-access label: every cached content page therefore
expires at the next opening among live pages, whichever page it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone

from hub.page_cache import CachePolicy, PageCacheMixin, bump_content, connect_saves
from hub.versions import CONTENT, FORUM, REVIEWS

CONTENT_TAGS = (CONTENT, REVIEWS, FORUM)


def next_early_access_opening() -> datetime | None:
    """The earliest opening date still ahead among live guides and posts (two queries)."""
    from .models import BlogPostPage, BuyingGuidePage

    now = timezone.now()
    openings = [
        model.objects.live()
        .filter(early_access_until__gt=now)
        .aggregate(first=Min("early_access_until"))["first"]
        for model in (BuyingGuidePage, BlogPostPage)
    ]
    return min((moment for moment in openings if moment is not None), default=None)


def content_policy(*, query_params: frozenset[str] = frozenset()) -> CachePolicy:
    return CachePolicy(tags=CONTENT_TAGS, query_params=query_params, expires=next_early_access_opening)


class CachedPage(PageCacheMixin):
    """A content page cached whole for anonymous readers; ``page_cache_routes`` names, for a
    routable page, the sub-routes cached (by view name) and the query parameters each reads."""

    page_cache_query: frozenset[str] = frozenset()
    page_cache_routes: dict[str, frozenset[str]] | None = None

    def page_cache_policy(self, request: HttpRequest, *args: Any, **kwargs: Any) -> CachePolicy | None:
        if self.page_cache_routes is None:
            return content_policy(query_params=self.page_cache_query)
        # RoutablePageMixin.serve(request, view, args, kwargs): the route Wagtail matched.
        view = args[0] if args else kwargs.get("view")
        name = getattr(view, "__name__", "index_view")
        if name not in self.page_cache_routes:
            return None
        return content_policy(query_params=self.page_cache_routes[name])


def product_policy(request: HttpRequest, slug: str) -> CachePolicy:
    # The reviews' list reads its sort, star filter and page from the query.
    return content_policy(query_params=frozenset({"sort", "stars", "page"}))


def connect_receivers() -> None:
    """Snippets and products: a save or delete changes the pages that show them (from
    ContentConfig.ready; pages themselves are hub.page_cache's)."""
    from .models import Author, GuideCategory, Product, ProductTag

    connect_saves([Product, ProductTag, Author, GuideCategory], bump_content, uid="content.page_cache")
