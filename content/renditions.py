"""Images fetched with their renditions, so that a list of cards renders without a query per
image (``{% image %}`` and ``{% picture %}`` then find every rendition already loaded)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model


def images_with_renditions() -> QuerySet:
    """The image model's rows, each with all its renditions (a ``Prefetch`` queryset)."""
    return get_image_model().objects.prefetch_renditions()


def with_renditions(queryset: QuerySet, *fields: str) -> QuerySet:
    """Fetch each image foreign key in ``fields`` with all its renditions: two queries per
    field (the images, their renditions), however many rows."""
    return queryset.prefetch_related(
        *(Prefetch(field, queryset=images_with_renditions()) for field in fields)
    )


# --- Renditions made ahead of the first reader ---------------------------------------------
# Every image spec the public templates ask for, by what the image is used as. The templates
# write these same strings in their {% image %} / {% picture %} tags (Wagtail's tags take a
# literal spec); tests/content/test_i15_renditions.py fails when a template asks for a spec
# missing here, so pre-generation and templates cannot drift apart.
RENDITIONS: dict[str, str] = {
    # templates/content/article_header.html and event_page.html: the page's hero (the LCP).
    "hero": "format-{avif,webp,jpeg} fill-{640x360,1080x608,1600x900}-c70",
    # templates/includes/article_card.html and event_card.html: index, related and home cards.
    "card": "format-{avif,webp,jpeg} fill-{480x270,960x540}-c70",
    # templates/content/includes/event_stream.html: the video's poster on a live event page.
    "poster": "fill-1280x720 format-jpeg",
    # templates/content/home_page.html
    "home_hero": "format-{avif,webp,jpeg} fill-{800x600,1600x900,2400x1000}-c80",
    # templates/content/product.html
    "product": "format-{avif,webp,jpeg} fill-{400x400,800x800}",
    # templates/blocks/product_pick_block.html
    "product_pick": "format-{avif,webp,jpeg} fill-{320x320,640x640}",
    # templates/blocks/comparison_table_block.html, author_box.html, event hosts
    "thumb": "fill-160x160 format-webp",
    # templates/content/event_page.html: the event's products
    "event_product": "fill-240x240 format-webp",
    # templates/blocks/image_block.html, full width and text width
    "image_full": "format-{avif,webp,jpeg} width-{640,1080,1600}",
    "image_text": "format-{avif,webp,jpeg} width-{400,720,1080}",
    # content/seo.py HERO_SPEC: the share image in the page's social meta tags.
    "social": "fill-1200x630|format-jpeg|jpegquality-82",
}


def rendition_filters(*uses: str) -> list[str]:
    """The single-rendition filter specs behind ``uses`` (keys of RENDITIONS), braces expanded
    as the {% picture %} tag expands them."""
    from wagtail.images.models import Filter

    filters: list[str] = []
    for use in uses:
        for spec in Filter.expand_spec(RENDITIONS[use]):
            if spec not in filters:
                filters.append(spec)
    return filters


def _stream_images(value: Any) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Images inside a StreamField value: image blocks, product picks, comparison tables."""
    for child in value or []:
        name, block_value = child.block_type, child.value
        if name == "image" and block_value.get("image"):
            wide = block_value.get("width") in ("full", "wide")
            yield block_value["image"], ("image_full",) if wide else ("image_text",)
        elif name == "product_pick" and getattr(block_value.get("product"), "image", None):
            yield block_value["product"].image, ("product_pick",)
        elif name == "comparison_table":
            for product in block_value.get("products") or []:
                if getattr(product, "image", None):
                    yield product.image, ("thumb",)


def page_images(page: Any) -> list[tuple[Any, tuple[str, ...]]]:
    """Each image a published page shows, with the RENDITIONS uses it is shown as: on the page
    itself and on the cards that list it (indexes, related lists, the home page)."""
    page = page.specific
    found: list[tuple[Any, tuple[str, ...]]] = []
    hero = getattr(page, "hero_image", None)
    if hero is not None:
        if page.__class__.__name__ == "HomePage":
            found.append((hero, ("home_hero", "social")))
        elif hasattr(page, "stream_url") or page.__class__.__name__ == "EventPage":
            found.append((hero, ("hero", "card", "social", "poster")))
        else:
            found.append((hero, ("hero", "card", "social")))
    photo = getattr(getattr(page, "author", None), "photo", None)
    if photo is not None:
        found.append((photo, ("thumb",)))
    found.extend(_stream_images(getattr(page, "body", None)))
    if hasattr(page, "hosts"):
        for link in page.hosts.select_related("author__photo"):
            if link.author.photo is not None:
                found.append((link.author.photo, ("thumb",)))
    if hasattr(page, "products") and hasattr(page.products, "all"):
        for product in page.products.select_related("image"):
            if product.image is not None:
                found.append((product.image, ("event_product", "product_pick")))
    return found


def renditions_make(images: list[tuple[Any, tuple[str, ...]]]) -> int:
    """Make the missing renditions of ``images``; returns how many specs were asked for.
    ``get_renditions`` finds the existing ones in one query and makes only the rest."""
    asked = 0
    for image, uses in images:
        filters = rendition_filters(*uses)
        image.get_renditions(*filters)
        asked += len(filters)
    return asked


def page_renditions_make(page_id: int) -> int:
    """Every rendition a published page needs, so its first reader waits for none."""
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        return 0
    return renditions_make(page_images(page))


PRODUCT_USES = ("product", "product_pick", "thumb", "event_product", "social")


def product_renditions_make(product: Any) -> int:
    """A product's page image, its picks and the event pages listing it."""
    if getattr(product, "image", None) is None:
        return 0
    return renditions_make([(product.image, PRODUCT_USES)])


def all_renditions_make(*, workers: int | None = None) -> int:
    """Every live page's and every product's renditions (the demo seed; a restored backup);
    returns how many specs were asked for.

    Each image's specs are gathered first (an image shown on several pages is one job) and
    the jobs run on ``workers`` threads (default: one per CPU): Pillow encodes with the GIL
    released, so AVIF and WebP encoding of different images overlaps (the demo's 1,286 specs:
    80 s on one thread, 48 s on two, on a 2-core machine). One image is never in two jobs,
    so no rendition is made twice. Inside a transaction (a test) the work stays on this
    thread: other threads' connections could not see its rows."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from wagtail.models import Page

    from content.models import Product

    jobs: dict[int, tuple[Any, list[str]]] = {}

    def add(image: Any, uses: tuple[str, ...]) -> None:
        _, filters = jobs.setdefault(image.pk, (image, []))
        filters.extend(spec for spec in rendition_filters(*uses) if spec not in filters)

    for page in Page.objects.live().filter(depth__gt=1).specific():
        for image, uses in page_images(page):
            add(image, uses)
    for product in Product.objects.select_related("image"):
        if product.image is not None:
            add(product.image, PRODUCT_USES)

    def make(job: tuple[Any, list[str]]) -> int:
        image, filters = job
        try:
            image.get_renditions(*filters)
        finally:
            if threaded:
                connections.close_all()  # this worker thread's own connections
        return len(filters)

    threaded = not connection.in_atomic_block and (workers or os.cpu_count() or 1) > 1
    if not threaded:
        return sum(make(job) for job in jobs.values())
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        return sum(pool.map(make, jobs.values()))
