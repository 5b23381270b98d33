"""Which lifecycle campaign is live, per trigger, remembered for a short while: the
after-purchase receiver runs on every paid order, and the answer is almost always the same
(usually "none"), so asking the database each time costs a query per order for nothing.

Forgotten when a campaign row is saved or deleted (``forget_on_campaign_change``), and when a
lifecycle campaign is switched on or off (``lifecycle_switch``); ``LIVE_SECONDS`` bounds what
a bulk ``update()`` elsewhere (the demo seeding) leaves stale."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

from .models import Campaign

LIVE_SECONDS = 60


def _key(trigger: str) -> str:
    return f"campaigns:live:{trigger}"


def live_campaign_id(trigger: str) -> int | None:
    """The pk of the trigger's live lifecycle campaign, None when it has none."""
    found = cache.get(_key(trigger))
    if found is None:
        found = (
            Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE, trigger=trigger, state=Campaign.State.LIVE)
            .values_list("pk", flat=True)
            .first()
        ) or 0
        cache.set(_key(trigger), found, LIVE_SECONDS)
    return found or None


def live_campaigns_forget() -> None:
    """Forget every trigger's answer, now and again when the change commits (a reader in
    between may have stored the old state)."""
    keys = [_key(trigger) for trigger in Campaign.Trigger.values]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_on_campaign_change(sender: Any, **kwargs: Any) -> None:
    live_campaigns_forget()
