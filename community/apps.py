from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # The forum's kind of result in /search/ (content/search.py registers its own), and
        # the receivers: a full refund takes back the points of reviews that order verified.
        from . import receivers, search  # noqa: F401
