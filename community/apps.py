from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")
    # Each feature is a package shaped like an app; hub.apps_modules finds their plug-ins.
    feature_packages = ("forum", "events", "reviews")

    def ready(self) -> None:
        # The forum's kind of result in /search/ (content/search.py registers its own), and
        # the receivers: a full refund takes back the points of reviews that order verified.
        # What cached pages show of the forum and the reviews (hub/page_cache.py).
        from community.forum import page_cache as forum_page_cache
        from community.forum import search  # noqa: F401
        from community.reviews import page_cache as reviews_page_cache
        from community.reviews import receivers  # noqa: F401

        forum_page_cache.connect_receivers()
        reviews_page_cache.connect_receivers()
