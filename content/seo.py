"""Structured data and social cards: breadcrumbs, the image a shared link shows, and JSON-LD
dicts built from guides and posts (with their FAQ), products and events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.html import strip_tags
from wagtail.models import Page

HERO_SPEC = "fill-1200x630|format-jpeg|jpegquality-82"


def absolute(request: HttpRequest | None, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request is not None else path


def share_image_url(image, request: HttpRequest | None) -> str:
    if image is None:
        return ""
    return absolute(request, image.get_rendition(HERO_SPEC).url)


def breadcrumbs(page: Page) -> list[Page]:
    """The page's ancestors below the tree root, home first, the page itself last.
    Base pages, not specific ones: a title and a URL are all a crumb needs."""
    return [*page.get_ancestors().filter(depth__gt=1), page]


def breadcrumb_json_ld(crumbs: list[Page], request: HttpRequest) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": crumb.title,
                "item": crumb.get_full_url(request),
            }
            for position, crumb in enumerate(crumbs, start=1)
        ],
    }


def article_json_ld(page, request: HttpRequest, *, kind: str, teaser: bool = False) -> dict[str, Any]:
    """``teaser``: the reader (or crawler) may not read the body yet, so nothing derived from it
    is described, and the article says it is not free to read."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "headline": page.title[:110],
        "description": page.search_description or page.intro,
        "mainEntityOfPage": page.get_full_url(request),
        "datePublished": (page.first_published_at or page.latest_revision_created_at).isoformat()
        if (page.first_published_at or page.latest_revision_created_at)
        else None,
        "dateModified": page.last_published_at.isoformat() if page.last_published_at else None,
        "wordCount": None if teaser else page.word_count,
        "isAccessibleForFree": False if teaser else None,
        "publisher": {"@type": "Organization", "name": page.get_site().site_name or "Polku Outdoor"},
    }
    if page.author:
        data["author"] = {"@type": "Person", "name": page.author.name, "jobTitle": page.author.role or None}
    if page.hero_image:
        data["image"] = [share_image_url(page.hero_image, request)]
    return {key: value for key, value in data.items() if value is not None}


def faq_json_ld(items: list[dict[str, str]]) -> dict[str, Any] | None:
    if not items:
        return None
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item["question"],
                "acceptedAnswer": {"@type": "Answer", "text": " ".join(strip_tags(item["answer"]).split())},
            }
            for item in items
        ],
    }


def product_json_ld(product, request: HttpRequest, *, rating: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "description": product.short_description,
        "url": absolute(request, product.get_absolute_url()),
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": product.currency,
            "url": product.store_url or absolute(request, product.get_absolute_url()),
            "availability": "https://schema.org/InStock",
        },
    }
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand}
    if product.image:
        data["image"] = [share_image_url(product.image, request)]
    if rating:
        data["aggregateRating"] = {"@type": "AggregateRating", **rating}
    return data


def event_json_ld(page, request: HttpRequest, *, hosts: list | None = None) -> dict[str, Any]:
    """schema.org Event for an online event: times with the event's own offset, attended
    online at the page (which leads to the live room), organised by the site, hosts as
    performers."""
    site = page.get_site()
    url = page.get_full_url(request)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": page.title,
        "description": page.search_description or page.intro,
        "url": url,
        "startDate": page.local_starts_at.isoformat(),
        "endDate": page.local_ends_at.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
        "location": {"@type": "VirtualLocation", "url": url},
        "organizer": {
            "@type": "Organization",
            "name": (site.site_name if site else "") or "Polku Outdoor",
            "url": absolute(request, "/"),
        },
    }
    if hosts:
        data["performer"] = [_person(host) for host in hosts]
    if page.hero_image:
        data["image"] = [share_image_url(page.hero_image, request)]
    return data


def _person(author) -> dict[str, str]:
    person = {"@type": "Person", "name": author.name}
    if author.role:
        person["jobTitle"] = author.role
    return person
