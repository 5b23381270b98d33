"""RSS 2.0 feeds for the blog and the guides, built on Django's syndication framework.

The index page that serves a feed hands it the pages to list (only those open to everyone:
feed readers get whole items and keep them)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.translation import gettext as _

FEED_LENGTH = 30


class _ArticleFeed(Feed):
    feed_type = Rss201rev2Feed

    def __init__(self, index_page, pages: QuerySet):
        super().__init__()
        self.index_page = index_page
        self.pages = pages

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def items(self):
        return self.pages[:FEED_LENGTH]

    def link(self):
        return self.index_page.get_full_url(self.request)

    def feed_url(self):
        return self.index_page.get_full_url(self.request) + "feed/"

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.search_description or item.intro

    def item_link(self, item):
        return item.get_full_url(self.request)

    def item_guid(self, item):
        # Stable across slug changes: the page id never changes.
        return f"{self.index_page.get_site().root_url}/pages/{item.pk}"

    item_guid_is_permalink = False

    def item_author_name(self, item):
        return item.author.name if item.author else None

    def item_categories(self, item):
        return [tag.name for tag in item.tags.all()]

    def item_updateddate(self, item):
        return item.last_published_at


class BlogFeed(_ArticleFeed):
    def title(self):
        return _("%(site)s blog") % {"site": self.index_page.get_site().site_name or "Polku Outdoor"}

    def description(self):
        return self.index_page.intro or _("News, stories and how-tos from the store.")

    def item_pubdate(self, item):
        published = item.first_published_at
        if published and timezone.localdate(published) == item.date:
            return published
        return timezone.make_aware(datetime.combine(item.date, time(9, 0)))


class GuideFeed(_ArticleFeed):
    def title(self):
        return _("%(site)s buying guides") % {"site": self.index_page.get_site().site_name or "Polku Outdoor"}

    def description(self):
        return self.index_page.intro or _("Tested picks for the gear that matters.")

    def item_pubdate(self, item):
        return item.first_published_at
