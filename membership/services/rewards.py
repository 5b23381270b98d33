"""Redeeming rewards: a coupon and its ledger entry, made together or not at all; and gifted
coupons (``reward_gift``), which cost no points and expire."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..languages import in_member_language
from ..models import Redemption, Reward, User
from ..shops.coupons import shop_coupons_plan
from .notifications import notification_send
from .points import InsufficientPoints, _standing_for_update, points_gift_coupon_entry, points_redeem

# How long a gifted coupon may be valid, in days (two years).
GIFT_MAX_VALID_DAYS = 730

# No 0/O, 1/I/L: codes are read aloud at the till and typed at checkout.
COUPON_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class RewardUnavailable(Exception):
    """Why a member cannot redeem a reward; the message is meant for them."""


def coupon_code_new() -> str:
    body = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(8))
    return f"POLKU-{body[:4]}-{body[4:]}"


@transaction.atomic
def reward_redeem(
    *, member: User, reward_id: int, now: datetime | None = None, request_key: str = ""
) -> Redemption:
    """Spend the reward's points and issue a unique coupon. Raises RewardUnavailable or
    InsufficientPoints with a clear message; nothing changes then. ``now``: when it happened
    (an import of history, the demo); the present by default. ``request_key``: the token of
    the confirmation form; the same key again (a double click, a replayed POST) returns the
    coupon it already bought and spends nothing."""
    now = now or timezone.now()
    # The reward row lock serialises redemptions of one reward, so stock never oversells.
    reward = Reward.objects.select_for_update().filter(pk=reward_id).first()
    if reward is None:
        raise RewardUnavailable(_("This reward is not available any more."))
    standing = _standing_for_update(member)
    # Looked up under the member's lock, so a concurrent duplicate waits and then finds it.
    key = f"reward:{reward.pk}:member:{member.pk}:{request_key}" if request_key else ""
    if key and (replayed := Redemption.objects.filter(member=member, entry__idempotency_key=key).first()):
        return replayed
    if not reward.active:
        raise RewardUnavailable(_("This reward is not available any more."))
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
    code = _coupon_code_unused()
    entry = points_redeem(
        member=member,
        amount=reward.cost,
        reason=reward.name,
        idempotency_key=key or f"reward:{reward.pk}:{code}",
        now=now,
    )
    redemption = Redemption.objects.create(
        member=member, reward=reward, coupon_code=code, entry=entry, created_at=now
    )
    if reward.stock is not None:
        reward.stock -= 1
        reward.save(update_fields=["stock"])
    # With a shop that takes coupons, the member is told the code once the shop has it.
    if not shop_coupons_plan(redemption, now=now):
        with in_member_language(member):
            notification_send(
                recipient=member,
                kind="reward-redeemed",
                title=_("Your coupon: %(code)s") % {"code": code},
                body=reward.name,
                url="/rewards/",
            )
    return redemption


def _coupon_code_unused() -> str:
    code = coupon_code_new()
    while Redemption.objects.filter(coupon_code=code).exists():
        code = coupon_code_new()
    return code


@transaction.atomic
def reward_gift(
    *,
    member: User,
    reward: Reward,
    reason: str,
    actor: User | None,
    idempotency_key: str,
    valid_days: int,
    now: datetime | None = None,
) -> Redemption:
    """Give ``reward`` as a coupon that costs no points and expires ``valid_days`` after
    ``now``: a zero-point ``gift`` ledger row (the author in ``actor``) and its redemption.

    A gift is staff's (or a campaign's) decision, not a purchase: the reward may be inactive
    (a gift-only reward kept out of the catalogue), and its cost, minimum tier, stock and
    per-member limit do not apply; the stock is not drawn down. No notification: the caller
    tells the member. A replayed key returns the first coupon and writes nothing."""
    now = now or timezone.now()
    if not 1 <= valid_days <= GIFT_MAX_VALID_DAYS:
        raise ValueError(f"a gifted coupon is valid 1–{GIFT_MAX_VALID_DAYS} days")
    entry = points_gift_coupon_entry(
        member=member, reason=reason, actor=actor, idempotency_key=idempotency_key, now=now
    )
    existing = Redemption.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    redemption = Redemption.objects.create(
        member=member,
        reward=reward,
        coupon_code=_coupon_code_unused(),
        entry=entry,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    shop_coupons_plan(redemption, now=now)
    return redemption


__all__ = [
    "GIFT_MAX_VALID_DAYS",
    "InsufficientPoints",
    "RewardUnavailable",
    "coupon_code_new",
    "reward_gift",
    "reward_redeem",
]
