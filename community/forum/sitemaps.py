"""The forum's public threads in /sitemap.xml (collected by hub/urls.py from each app's
``sitemaps.py``). Only what anyone may read: visible threads of categories without a read
tier; a tier's lounge stays out, as it does from search for anonymous visitors."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from community.forum.models import Thread


class ForumThreadSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5
    limit = 5000

    def items(self):
        return (
            Thread.objects.filter(
                state=Thread.State.VISIBLE, merged_into__isnull=True, category__read_tier__isnull=True
            )
            .only("pk", "last_post_at")
            .order_by("-last_post_at", "-pk")
        )

    def lastmod(self, thread: Thread):
        return thread.last_post_at


SITEMAPS = {"forum": ForumThreadSitemap}
