from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from .navigation import navigation_clear

        # Navigation lists live top-level pages; a publish or unpublish changes that.
        page_published.connect(navigation_clear, dispatch_uid="content.navigation.published")
        page_unpublished.connect(navigation_clear, dispatch_uid="content.navigation.unpublished")
