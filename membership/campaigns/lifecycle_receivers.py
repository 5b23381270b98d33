"""The event-driven lifecycle triggers (membership/campaigns/lifecycle.py): a verified address
enters the welcome campaign, a paid order the after-purchase one, a finished retention refresh
the win-back one. Connected from ``MembershipConfig.ready()``.

A campaign is marketing: whatever goes wrong in it must not undo what set it off (a member's
verification, the shop's order, the nightly refresh). Each receiver works in a savepoint and
logs its failure instead of raising."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import email_confirmed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ..insight.models import InsightRun
from ..models import Order
from ..signals import insight_refreshed, order_paid
from .lifecycle import after_purchase_enter, welcome_enter, win_back_enter
from .live_cache import forget_on_campaign_change, live_campaign_id
from .models import Campaign

logger = logging.getLogger(__name__)


@receiver(email_confirmed, dispatch_uid="membership.campaigns.welcome")
def welcome_on_verification(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            welcome_enter(member=email_address.user)
    except Exception:
        logger.exception("welcome campaign: member %s not entered", email_address.user_id)


@receiver(order_paid, dispatch_uid="membership.campaigns.after_purchase")
def after_purchase_on_order(sender: Any, order: Order, **kwargs: Any) -> None:
    # Every paid order comes through here: with the campaign off (the usual answer, cached)
    # there is nothing to enter, and no savepoint or query is spent on it.
    try:
        if live_campaign_id(Campaign.Trigger.AFTER_PURCHASE) is None:
            return
        with transaction.atomic():
            after_purchase_enter(order=order)
    except Exception:
        logger.exception("after-purchase campaign: order %s not entered", order.pk)


@receiver(insight_refreshed, dispatch_uid="membership.campaigns.win_back")
def win_back_on_refresh(sender: Any, run: InsightRun, **kwargs: Any) -> None:
    try:
        win_back_enter(run=run)
    except Exception:
        logger.exception("win-back campaign: run %s not read", run.pk)


# The cached "which campaign is live" (live_cache.py) is forgotten on any change of a row.
post_save.connect(forget_on_campaign_change, sender=Campaign, dispatch_uid="campaigns.live.saved")
post_delete.connect(forget_on_campaign_change, sender=Campaign, dispatch_uid="campaigns.live.deleted")
