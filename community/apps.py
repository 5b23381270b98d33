from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # The forum's kind of result in /search/ (content/search.py registers its own).
        from . import search  # noqa: F401
