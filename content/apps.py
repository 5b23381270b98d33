"""The content app: on publish and unpublish, the cached navigation goes."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.signals import page_published, page_unpublished


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        # Imported here, not at the top: this module loads before any app's models, and
        # navigation needs them loaded (through wagtail.models).
        from .navigation import navigation_clear

        # Navigation lists live top-level pages: a publish or unpublish invalidates it.
        # (Related-guide rankings are keyed by the CONTENT version, hub/versions.py.)
        page_published.connect(navigation_clear, dispatch_uid="content.navigation.published")
        page_unpublished.connect(navigation_clear, dispatch_uid="content.navigation.unpublished")
        # The worker makes the renditions a published page and its cards need (content/tasks.py).
        from django.db.models.signals import post_save

        from .models import Product
        from .tasks import page_published_renditions, product_saved_renditions

        page_published.connect(page_published_renditions, dispatch_uid="content.renditions.published")
        post_save.connect(product_saved_renditions, sender=Product, dispatch_uid="content.renditions.product")
        # Cached pages show products and snippets: a change to one invalidates them.
        from .page_cache import connect_receivers

        connect_receivers()
