"""Membership's app config: ``ready()`` connects the receivers and installs the tiers as
content's early-access policy."""

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from content.access import register_early_access_policy


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Membership")

    def ready(self) -> None:
        # Imported here, not at the top: this module loads before the models, which both import.
        from . import receivers  # noqa: F401  (connecting the signal receivers is the import)
        from .access import TierEarlyAccess
        from .campaigns import lifecycle_receivers  # noqa: F401  (welcome, after purchase, win-back)
        from .campaigns import receivers as campaign_receivers  # noqa: F401  (the provider's email reports)
        from .models import Reward
        from .reward_tasks import reward_saved_rendition

        post_save.connect(reward_saved_rendition, sender=Reward, dispatch_uid="membership.reward.rendition")

        # Tiers decide who reads guides and posts in early access; content only asks.
        register_early_access_policy(TierEarlyAccess())
