from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Membership")

    def ready(self) -> None:
        from content.access import register_early_access_policy

        from . import receivers  # noqa: F401  (connects allauth's email_confirmed)
        from .access import TierEarlyAccess

        # Tiers decide who reads guides and posts in early access; content only asks.
        register_early_access_policy(TierEarlyAccess())
