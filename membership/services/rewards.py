"""Redeeming rewards: a coupon and its ledger entry, made together or not at all."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Redemption, Reward, User
from .notifications import notification_send
from .points import InsufficientPoints, _standing_for_update, points_redeem

# No 0/O, 1/I/L: codes are read aloud at the till and typed at checkout.
COUPON_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class RewardUnavailable(Exception):
    """Why a member cannot redeem a reward; the message is meant for them."""


def coupon_code_new() -> str:
    body = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(8))
    return f"POLKU-{body[:4]}-{body[4:]}"


@transaction.atomic
def reward_redeem(*, member: User, reward_id: int, now: datetime | None = None) -> Redemption:
    """Spend the reward's points and issue a unique coupon. Raises RewardUnavailable or
    InsufficientPoints with a clear message; nothing changes then. ``now``: when it happened
    (an import of history, the demo); the present by default."""
    now = now or timezone.now()
    # The reward row lock serialises redemptions of one reward, so stock never oversells.
    reward = Reward.objects.select_for_update().filter(pk=reward_id, active=True).first()
    if reward is None:
        raise RewardUnavailable(_("This reward is not available any more."))
    standing = _standing_for_update(member)
    if reward.min_tier and (standing.tier is None or standing.tier.threshold < reward.min_tier.threshold):
        raise RewardUnavailable(
            _("This reward is for %(tier)s members and above.") % {"tier": reward.min_tier.name}
        )
    if reward.stock is not None and reward.stock <= 0:
        raise RewardUnavailable(_("This reward is out of stock."))
    if reward.per_member_limit is not None:
        used = Redemption.objects.filter(member=member, reward=reward).count()
        if used >= reward.per_member_limit:
            raise RewardUnavailable(
                _("You have redeemed this reward the most times allowed (%(limit)s).")
                % {"limit": reward.per_member_limit}
            )
    code = coupon_code_new()
    while Redemption.objects.filter(coupon_code=code).exists():
        code = coupon_code_new()
    entry = points_redeem(
        member=member,
        amount=reward.cost,
        reason=reward.name,
        idempotency_key=f"reward:{reward.pk}:{code}",
        now=now,
    )
    redemption = Redemption.objects.create(
        member=member, reward=reward, coupon_code=code, entry=entry, created_at=now
    )
    if reward.stock is not None:
        reward.stock -= 1
        reward.save(update_fields=["stock"])
    notification_send(
        recipient=member,
        kind="reward-redeemed",
        title=_("Your coupon: %(code)s") % {"code": code},
        body=reward.name,
        url="/rewards/",
    )
    return redemption


__all__ = ["InsufficientPoints", "RewardUnavailable", "coupon_code_new", "reward_redeem"]
