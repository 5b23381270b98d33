"""Reads of published content. Everything here returns only live, public pages.

Pages in early access (content/access.py) are listed like any other, as cards of title and
intro, which are their public teaser. Reads that would expose more, or would say what is in
the body (feeds, which guides pick a product), leave them out until they open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import CharField, Count, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from .access import exclude_restricted, open_now_q
from .events import EventHost, EventIndexPage, EventPage
from .models import BlogIndexPage, BlogPostPage, BuyingGuidePage, GuideIndexPage, HomePage, Product

Image = get_image_model()


def _with_images(queryset: QuerySet, *fields: str) -> QuerySet:
    """Fetch each image foreign key with all its renditions in one query per field."""
    return queryset.prefetch_related(
        *(Prefetch(field, queryset=Image.objects.prefetch_renditions()) for field in fields)
    )


def guides_live() -> QuerySet[BuyingGuidePage]:
    return _with_images(
        BuyingGuidePage.objects.live().public().select_related("author", "category"), "hero_image"
    ).order_by("-last_reviewed", "-first_published_at")


def posts_live() -> QuerySet[BlogPostPage]:
    return _with_images(BlogPostPage.objects.live().public().select_related("author"), "hero_image").order_by(
        "-date", "-first_published_at"
    )


def home_featured_guides(*, home: HomePage, limit: int = 6) -> list[BuyingGuidePage]:
    chosen_ids = list(home.featured_guides.order_by("sort_order").values_list("guide_id", flat=True))
    if chosen_ids:
        by_id = {guide.pk: guide for guide in guides_live().filter(pk__in=chosen_ids)}
        chosen = [by_id[pk] for pk in chosen_ids if pk in by_id]
        if chosen:
            return chosen[:limit]
    # Nothing picked (or all picks unpublished): the newest guides keep the section useful.
    return list(guides_live()[: min(limit, 3)])


def latest_posts(*, limit: int = 3) -> list[BlogPostPage]:
    return list(posts_live()[:limit])


def guides_for_index(
    *, index: GuideIndexPage, category_slug: str = "", tag: str = ""
) -> QuerySet[BuyingGuidePage]:
    guides = guides_live().child_of(index).prefetch_related("tags")
    if category_slug:
        guides = guides.filter(category__slug=category_slug)
    if tag:
        guides = guides.filter(Q(tags__slug=tag) | Q(tags__name=tag)).distinct()
    return guides


def posts_for_index(*, index: BlogIndexPage, tag: str = "") -> QuerySet[BlogPostPage]:
    posts = posts_live().child_of(index).prefetch_related("tags")
    if tag:
        posts = posts.filter(Q(tags__slug=tag) | Q(tags__name=tag)).distinct()
    return posts


def posts_for_feed(*, index: BlogIndexPage) -> QuerySet[BlogPostPage]:
    """Feed readers get whole items and keep them: only posts open to everyone."""
    return posts_for_index(index=index).filter(open_now_q())


def guides_for_feed(*, index: GuideIndexPage) -> QuerySet[BuyingGuidePage]:
    return guides_for_index(index=index).filter(open_now_q())


# Only rankings are cached, never whether a page is restricted: that is decided per request
# from its date, so nothing cached can keep a page shut after it opens.
RELATED_CACHE_SECONDS = 600


def content_version() -> int:
    """A number that changes whenever published content changes; part of cache keys."""
    return cache.get_or_set("content:version", 1, None)


def content_version_bump(**kwargs: object) -> None:
    try:
        cache.incr("content:version")
    except ValueError:
        cache.set("content:version", 2, None)


def _related_guide_ids(guide: BuyingGuidePage, limit: int) -> list[int]:
    """Ids of the guides sharing the most tags (same category first), newest filling gaps.

    Ranking reads the tag table only; the ids are cached until content is next published,
    because this ranking is the most expensive part of a guide page."""
    key = f"content:related:{guide.pk}:{content_version()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    others = BuyingGuidePage.objects.live().public().exclude(pk=guide.pk)
    tag_ids = list(guide.tags.values_list("pk", flat=True))
    ranked: list[int] = []
    if tag_ids or guide.category_id:
        ranked = list(
            others.filter(Q(tags__in=tag_ids) | Q(category_id=guide.category_id))
            .annotate(shared=Count("tags", filter=Q(tags__in=tag_ids), distinct=True))
            .order_by("-shared", "-last_reviewed")
            .values_list("pk", flat=True)[:limit]
        )
    if len(ranked) < limit:
        ranked += list(
            others.exclude(pk__in=ranked)
            .order_by("-last_reviewed")
            .values_list("pk", flat=True)[: limit - len(ranked)]
        )
    cache.set(key, ranked, RELATED_CACHE_SECONDS)
    return ranked


def related_guides(*, guide: BuyingGuidePage, limit: int = 3) -> list[BuyingGuidePage]:
    ids = _related_guide_ids(guide, limit)
    by_id = {page.pk: page for page in guides_live().filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _product_ids(raw_blocks: list) -> list[int]:
    ids: list[int] = []
    for block in raw_blocks:
        value = block.get("value") or {}
        if block["type"] == "product_pick" and value.get("product"):
            ids.append(value["product"])
        elif block["type"] == "comparison_table":
            for item in value.get("products", []):
                product_id = item.get("value") if isinstance(item, dict) else item
                if product_id:
                    ids.append(product_id)
    return ids


def article_products(*, page: Page) -> dict[int, Product]:
    """Every product a guide or post shows, with image and renditions, in two queries."""
    ids = _product_ids(page.specific.body.raw_data)
    if not ids:
        return {}
    return {product.pk: product for product in _with_images(Product.objects.filter(pk__in=ids), "image")}


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


def product_get(*, slug: str) -> Product | None:
    return _with_images(Product.objects.filter(slug=slug), "image").prefetch_related("tags").first()


def products_all() -> QuerySet[Product]:
    return _with_images(Product.objects.all(), "image")


def images_seen_by_anyone(images: QuerySet) -> QuerySet:
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

# The index shows every event that is live and the next ones coming; past ones page. The caps
# keep the page's cost flat however many an editor schedules (the calendar feed has them all).
EVENTS_LIVE_LIMIT = 12
EVENTS_UPCOMING_LIMIT = 24
EVENTS_PAST_PER_PAGE = 12
# The calendar feed: everything ahead, and what happened recently (for late recap readers).
EVENTS_FEED_PAST_DAYS = 90
EVENTS_FEED_LIMIT = 500


def events_live() -> QuerySet[EventPage]:
    """Published, public events with their hero image renditions and the tier they need."""
    return _with_images(EventPage.objects.live().public().select_related("min_tier"), "hero_image")


def events_for_index(
    *,
    index: EventIndexPage,
    event_format: str = "",
    page_number: str | int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The three sections of /events/: live now and upcoming (soonest first, capped) and past
    (newest first, a page of them). Phases match ``EventPage.phase``: an event is live from
    the moment its room opens until it ends. Seven queries (each section and its images, and
    the past count), whatever the number of events."""
    now = now or timezone.now()
    events = events_live().child_of(index)
    if event_format:
        events = events.filter(event_format=event_format)
    room_opens_by = now + timedelta(minutes=settings.KANTA_EVENT_ROOM_OPENS_MINUTES)
    live = list(
        events.filter(starts_at__lte=room_opens_by, ends_at__gt=now).order_by("starts_at", "pk")[
            :EVENTS_LIVE_LIMIT
        ]
    )
    upcoming = list(
        events.filter(starts_at__gt=room_opens_by).order_by("starts_at", "pk")[: EVENTS_UPCOMING_LIMIT + 1]
    )
    past = events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    return {
        "live_events": live,
        "upcoming_events": upcoming[:EVENTS_UPCOMING_LIMIT],
        "more_upcoming": len(upcoming) > EVENTS_UPCOMING_LIMIT,
        "past_page": Paginator(past, EVENTS_PAST_PER_PAGE).get_page(page_number),
    }


def home_events(*, limit: int = 3, now: datetime | None = None) -> list[tuple[EventPage, str]]:
    """What the home page shows of the calendar: events live now, then the soonest ahead,
    with their phase. Two queries (events, their images)."""
    now = now or timezone.now()
    events = list(events_live().filter(ends_at__gt=now).order_by("starts_at", "pk")[:limit])
    return [(event, event.phase(now)) for event in events]


def event_get(*, slug: str) -> EventPage | None:
    """One published, public event by its slug (slugs are unique under the one event index)."""
    return (
        EventPage.objects.live()
        .public()
        .filter(slug=slug)
        .prefetch_related(Prefetch("hosts", queryset=EventHost.objects.select_related("author")))
        .first()
    )


def events_for_calendar(*, now: datetime | None = None) -> QuerySet[EventPage]:
    """The calendar feed: every event ahead and those of the last 90 days, soonest first."""
    since = (now or timezone.now()) - timedelta(days=EVENTS_FEED_PAST_DAYS)
    return (
        EventPage.objects.live()
        .public()
        .filter(ends_at__gte=since)
        .prefetch_related(Prefetch("hosts", queryset=EventHost.objects.select_related("author")))
        .order_by("starts_at", "pk")[:EVENTS_FEED_LIMIT]
    )


def event_related(*, event: EventPage) -> dict[str, list]:
    """An event page's hosts (with their photo renditions), live related guides (with hero
    renditions) and products (with image renditions): a fixed number of queries."""
    hosts = [
        link.author
        for link in event.hosts.select_related("author").prefetch_related(
            Prefetch("author__photo", queryset=Image.objects.prefetch_renditions())
        )
    ]
    guide_ids = list(event.related_guides.order_by("sort_order").values_list("guide_id", flat=True))
    by_id = {guide.pk: guide for guide in guides_live().filter(pk__in=guide_ids)} if guide_ids else {}
    return {
        "hosts": hosts,
        "related_guides": [by_id[pk] for pk in guide_ids if pk in by_id],
        "related_products": list(_with_images(event.products.all(), "image")),
    }
