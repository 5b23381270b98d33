"""The site's main navigation, built from what actually exists.

A section appears only once its page or URL is there, so a fresh install never links to a
404 and each later feature shows up in the header by existing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CACHE_KEY = "content:navigation:v1"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class NavSection:
    key: str
    label: str | Promise
    page_slug: str = ""
    url_name: str = ""


SECTIONS = [
    NavSection("guides", _("Guides"), page_slug="guides"),
    NavSection("blog", _("Blog"), page_slug="blog"),
    NavSection("forum", _("Forum"), url_name="community:forum_index"),
    NavSection("events", _("Events"), page_slug="events"),
    NavSection("leaderboard", _("Leaderboard"), url_name="membership:leaderboard"),
]


def _page_paths() -> dict[str, str]:
    """Slug → site-relative path of the live top-level section pages."""
    from wagtail.models import Site

    site = Site.objects.select_related("root_page").filter(is_default_site=True).first()
    if site is None:
        return {}
    slugs = [s.page_slug for s in SECTIONS if s.page_slug]
    children = site.root_page.get_children().live().public().filter(slug__in=slugs)
    root_path = site.root_page.url_path
    return {page.slug: "/" + page.url_path[len(root_path) :] for page in children.only("slug", "url_path")}


def _resolve() -> list[tuple[str, str]]:
    page_paths = _page_paths()
    items = []
    for section in SECTIONS:
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
    resolved = cache.get(CACHE_KEY)
    if resolved is None:
        resolved = _resolve()
        cache.set(CACHE_KEY, resolved, CACHE_SECONDS)
    labels = {s.key: s.label for s in SECTIONS}
    return [{"key": key, "label": str(labels[key]), "url": url} for key, url in resolved]


def navigation_clear(**kwargs: object) -> None:
    cache.delete(CACHE_KEY)
