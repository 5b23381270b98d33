"""Membership's app config: ``ready()`` connects the receivers and installs the tiers as
content's early-access policy."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
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
        from .shops.models import ShopConnection
        from .shops.origins import storefront_origins_changed

        for signal in (post_save, post_delete):
            signal.connect(
                storefront_origins_changed, sender=ShopConnection, dispatch_uid="membership.shop.origins"
            )

        # Tiers decide who reads guides and posts in early access; content only asks.
        register_early_access_policy(TierEarlyAccess())
