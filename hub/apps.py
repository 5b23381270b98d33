"""The hub's app config: ``ready()`` registers the deploy checks (hub/checks.py) and the page
cache's receivers for Wagtail's own models (hub/page_cache.py)."""

from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Kanta hub"

    def ready(self) -> None:
        # AppConfig.ready: system checks are registered once the app registry is ready.
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .page_cache import connect_wagtail_receivers

        connect_wagtail_receivers()
