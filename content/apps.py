from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from .navigation import navigation_clear
        from .selectors import content_version_bump

        # Navigation lists live top-level pages, and cached related-guide rankings depend on
        # what is live: a publish or unpublish invalidates both.
        page_published.connect(navigation_clear, dispatch_uid="content.navigation.published")
        page_unpublished.connect(navigation_clear, dispatch_uid="content.navigation.unpublished")
        page_published.connect(content_version_bump, dispatch_uid="content.version.published")
        page_unpublished.connect(content_version_bump, dispatch_uid="content.version.unpublished")
