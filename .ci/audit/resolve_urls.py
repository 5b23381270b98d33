"""Prints, as JSON, the demo pages the audit visits (run by run.py through `manage.py shell`).

Each address is read from the demo data, never typed in, so a renamed slug or a reseeded id
cannot leave the audit measuring a 404.
"""

import json

from django.utils import timezone
from wagtail.models import Page

from community.forum.models import Thread
from content.events import EventIndexPage, EventPage
from content.models import BlogIndexPage, BlogPostPage, BuyingGuidePage, GuideIndexPage, HomePage

now = timezone.now()


def page_info(page: Page | None) -> dict | None:
    if page is None:
        return None
    return {"url": page.url, "id": page.pk, "title": page.title}


home = HomePage.objects.live().first()
guide_index = GuideIndexPage.objects.live().first()
blog_index = BlogIndexPage.objects.live().first()
event_index = EventIndexPage.objects.live().first()


def richest(pages):
    """The page with the most body blocks: the audit measures the heaviest article, not the lightest."""
    pages = [p for p in pages if not getattr(p, "in_early_access", False)]
    return max(pages, key=lambda p: (len(p.body), -p.pk), default=None)


guide = richest(BuyingGuidePage.objects.live().public().specific())
post = richest(BlogPostPage.objects.live().public().specific())
live_events = [e for e in EventPage.objects.live().public().order_by("starts_at") if e.phase(now) == "live"]
upcoming = [e for e in EventPage.objects.live().public().order_by("starts_at") if e.phase(now) == "upcoming"]

product_url = None
try:
    from content.models import Product

    product = Product.objects.order_by("pk").first()
    if product is not None:
        product_url = f"/products/{product.slug}/"
except ImportError:  # pragma: no cover - the catalogue moved
    pass

# A thread anyone may read, with the most replies: the composer and the posts both show.
thread = (
    Thread.objects.filter(state="visible", category__read_tier__isnull=True, merged_into__isnull=True)
    .exclude(is_locked=True)
    .order_by("-reply_count", "pk")
    .first()
)

# The demo shop signs this member in as its customer (the loyalty widget's member view).
from membership.models import User  # noqa: E402

member_email = User.objects.filter(username="aino").values_list("email", flat=True).first()

print(
    json.dumps(
        {
            "member_email": member_email,
            "home": page_info(home),
            "guide_index": page_info(guide_index),
            "guide": page_info(guide),
            "blog_index": page_info(blog_index),
            "post": page_info(post),
            "events": page_info(event_index),
            "event_live": page_info(live_events[0] if live_events else None),
            "event_upcoming": page_info(upcoming[0] if upcoming else None),
            # The signed-in member's live room: run.py takes the first that lets them in.
            "live_rooms": [e.live_url for e in live_events],
            "product": {"url": product_url} if product_url else None,
            "thread": {"url": thread.get_absolute_url(), "id": thread.pk} if thread else None,
        }
    )
)
