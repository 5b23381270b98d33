"""Reads of published content for views, the API and other apps: a product and the guides that
pick it, one event and the calendar feed's events, and what the API may show. The pages they
return are live and public.

What the pages themselves render (listings, related guides, a guide's products, the home
page's sections) is read beside them, in content/models.py and content/events.py. Pages in
early access (content/access.py) are listed there like any other, as cards of title and
intro, which are their public teaser. Reads that would expose more, or would say what is in
the body (feeds, which guides pick a product, the API), leave them out until they open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.models import Page, ReferenceIndex, get_page_models

from .access import open_now_q
from .events import EventHost, EventPage
from .models import ArticleMixin, BuyingGuidePage, Product, guides_live

# The calendar feed: everything ahead, and what happened recently (for late recap readers).
EVENTS_FEED_PAST_DAYS = 90
EVENTS_FEED_LIMIT = 500


# --- Products --------------------------------------------------------------------------------


def product_get(*, slug: str) -> Product | None:
    # The picture and the tags are shown inside fragments (content/product.html): read on
    # a fragment's miss only, not with every product page.
    return Product.objects.filter(slug=slug).first()


def guides_featuring(*, product: Product, limit: int = 6) -> list[BuyingGuidePage]:
    """Live guides whose published content references the product (Wagtail's reference index).
    Guides in early access are left out: that a guide picks this product is its body's news."""
    references = (
        ReferenceIndex.get_references_to(product)
        .filter(base_content_type__model="page")
        .values_list("object_id", flat=True)
    )
    page_ids = {int(object_id) for object_id in references if str(object_id).isdigit()}
    return list(guides_live().filter(open_now_q(), pk__in=page_ids)[:limit])


# --- What anyone may see (the API) -----------------------------------------------------------


def exclude_restricted(pages: QuerySet[Any], *, now: datetime | None = None) -> QuerySet[Any]:
    """Any page queryset without the pages that are restricted now, whatever their type."""
    now = now or timezone.now()
    for model in get_page_models():
        if issubclass(model, ArticleMixin):
            pages = pages.exclude(pk__in=model.objects.exclude(open_now_q(now=now)).values("pk"))
    return pages


def images_seen_by_anyone(images: QuerySet[Any]) -> QuerySet[Any]:
    """``images`` without those no anonymous reader sees: kept are images that a live page
    without view restrictions or early access uses in its published content (Wagtail's
    reference index, which indexes the page row, not its drafts), and product photos
    (products are public). One query, however many pages and images."""
    page_type = ContentType.objects.get_for_model(Page)
    image_type = ContentType.objects.get_for_model(images.model)
    open_pages = exclude_restricted(Page.objects.live().public()).annotate(ref_id=Cast("pk", CharField()))
    used_by_pages = ReferenceIndex.objects.filter(
        base_content_type=page_type,
        object_id__in=open_pages.values("ref_id"),
        to_content_type=image_type,
    ).values("to_object_id")
    # The index keeps object ids as text; comparing as text never casts a foreign id.
    seen = images.model.objects.annotate(ref_id=Cast("pk", CharField())).filter(
        Q(ref_id__in=used_by_pages) | Q(pk__in=Product.objects.filter(image__isnull=False).values("image_id"))
    )
    # A plain "pk in (subquery)" on ``images`` itself: the search backend reads the filters of
    # the queryset it searches, and understands a lookup on a field, not an annotation.
    return images.filter(pk__in=seen.values("pk"))


# --- Events ----------------------------------------------------------------------------------


def event_get(*, slug: str) -> EventPage | None:
    """One published, public event by its slug (slugs are unique under the one event index)."""
    event: EventPage | None = (
        EventPage.objects.live()
        .public()
        .filter(slug=slug)
        .prefetch_related(Prefetch("hosts", queryset=EventHost.objects.select_related("author")))
        .first()
    )
    return event


def events_for_calendar(*, now: datetime | None = None) -> QuerySet[EventPage]:
    """The calendar feed: every event ahead and those of the last 90 days, soonest first."""
    since = (now or timezone.now()) - timedelta(days=EVENTS_FEED_PAST_DAYS)
    events: QuerySet[EventPage] = (
        EventPage.objects.live()
        .public()
        .filter(ends_at__gte=since)
        .prefetch_related(Prefetch("hosts", queryset=EventHost.objects.select_related("author")))
        .order_by("starts_at", "pk")[:EVENTS_FEED_LIMIT]
    )
    return events
