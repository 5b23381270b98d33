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
from django.dispatch import receiver

from ..insight.models import InsightRun
from ..models import Order
from ..signals import insight_refreshed, order_paid
from .lifecycle import after_purchase_enter, welcome_enter, win_back_enter

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
    try:
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
