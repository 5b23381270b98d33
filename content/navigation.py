"""Where the site's links lead: the main navigation, and an event's live room.

Content names no address of the apps above it (community → membership → content). An app, or
a feature package of one, that adds a place to link to declares it in a ``navigation`` module,
found by :func:`hub.apps_modules.app_submodules`; this module is content's own:

    # community/forum/navigation.py: a section of the main navigation
    NAV_SECTIONS = [NavSection("forum", _("Forum"), url_name="community:forum_index", order=30)]

    # community/events/navigation.py: an event's live room, reversed with ``slug=event.slug``
    EVENT_ROOM_URL_NAME = "community:event_live"

A section appears only once its page or URL is there, so a fresh install never links to a
404 and each later feature shows up in the header by existing. An event without a room (no
app declares one, or its URL is not routed) has no room link: its page and calendar entry
point to the event page instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache as memoise
from typing import Any

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site

from hub.apps_modules import app_submodules

CACHE_KEY = "content:navigation:v1"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class NavSection:
    """A link in the main navigation: to the top-level page with ``page_slug`` if it is
    live, else to the URL named ``url_name`` if it resolves. Lower ``order`` comes first."""

    key: str
    label: str | Promise
    page_slug: str = ""
    url_name: str = ""
    order: int = 100


# Content's own sections, between which the other apps' fall by their order.
NAV_SECTIONS = [
    NavSection("guides", _("Guides"), page_slug="guides", order=10),
    NavSection("blog", _("Blog"), page_slug="blog", order=20),
    NavSection("events", _("Events"), page_slug="events", order=40),
]


@memoise
def nav_sections() -> list[NavSection]:
    """Every app's sections, in display order."""
    sections = [
        section
        for _label, module in app_submodules("navigation")
        # Other apps' modules of the same name (wagtail.admin.navigation) declare nothing.
        for section in getattr(module, "NAV_SECTIONS", ())
    ]
    return sorted(sections, key=lambda section: section.order)


@memoise
def _event_room_url_name() -> str:
    for _label, module in app_submodules("navigation"):
        name = getattr(module, "EVENT_ROOM_URL_NAME", "")
        if name:
            return name
    return ""


def event_room_path(event: Any) -> str:
    """The site-relative address of the event's live room; "" when there is none."""
    name = _event_room_url_name()
    if not name:
        return ""
    try:
        return reverse(name, kwargs={"slug": event.slug})
    except NoReverseMatch:
        return ""


def _page_paths(sections: list[NavSection]) -> dict[str, str]:
    """Slug → site-relative path of the live top-level section pages."""
    site = Site.objects.select_related("root_page").filter(is_default_site=True).first()
    if site is None:
        return {}
    slugs = [s.page_slug for s in sections if s.page_slug]
    children = site.root_page.get_children().live().public().filter(slug__in=slugs)
    root_path = site.root_page.url_path
    return {page.slug: "/" + page.url_path[len(root_path) :] for page in children.only("slug", "url_path")}


def _resolve(sections: list[NavSection]) -> list[tuple[str, str]]:
    page_paths = _page_paths(sections)
    items = []
    for section in sections:
        if section.page_slug and section.page_slug in page_paths:
            items.append((section.key, page_paths[section.page_slug]))
        elif section.url_name:
            try:
                items.append((section.key, reverse(section.url_name)))
            except NoReverseMatch:
                continue
    return items


def navigation_items() -> list[dict[str, str]]:
    """[{key, label, url}] in display order; cached, cleared when pages are published."""
    sections = nav_sections()
    resolved = cache.get(CACHE_KEY)
    if resolved is None:
        resolved = _resolve(sections)
        cache.set(CACHE_KEY, resolved, CACHE_SECONDS)
    labels = {s.key: s.label for s in sections}
    return [{"key": key, "label": str(labels[key]), "url": url} for key, url in resolved]


def navigation_clear(**kwargs: object) -> None:
    cache.delete(CACHE_KEY)
