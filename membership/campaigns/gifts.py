"""Gifts: points or a reward coupon that staff (or a campaign) give a member, one member or
many, through the ledger (membership/services/points.py) and the redemption service
(membership/services/rewards.py), with the author recorded and the member told.

Every gift has an idempotency key: a replayed call (a double submit, a worker re-running a
batch) returns the gift made the first time and writes nothing. A batch gives each member the
key ``f"{batch_key}:{member.pk}"``, so a batch run twice gives nobody twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..languages import in_member_language
from ..models import Reward, User
from ..services.notifications import notification_send
from ..services.points import GIFT_MAX_POINTS, points_gift
from ..services.rewards import GIFT_MAX_VALID_DAYS, reward_gift
from .models import Campaign, Gift

GiftKind = Literal["points", "reward"]
DEFAULT_VALID_DAYS = 30
# Where the member sees their points and coupons.
REWARDS_URL = "/rewards/"
# Members looked up per query when a batch checks who already has their gift.
GIVE_CHUNK = 500


@dataclass(frozen=True)
class GiftBatchResult:
    """What ``gifts_give`` did: new gifts, gifts found already given under the batch key
    (a replay), and members skipped because their account is closed."""

    given: int = 0
    already_given: int = 0
    skipped_inactive: int = 0

    @property
    def members(self) -> int:
        return self.given + self.already_given + self.skipped_inactive


def gift_validate(
    *,
    kind: str,
    points: int | None = None,
    reward: Reward | None = None,
    reason: str,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> str:
    """Check a gift before anything is written; returns the reason stripped. Raises
    ValidationError with field errors (points, reward, reason, valid_days)."""
    errors: dict[str, str] = {}
    reason = reason.strip()
    if not reason:
        errors["reason"] = _("Say why; members see the reason and the ledger keeps it.")
    elif len(reason) > 300:
        errors["reason"] = _("Keep the reason under 300 characters.")
    if kind == Gift.Kind.POINTS:
        if points is None or not 0 < points <= GIFT_MAX_POINTS:
            errors["points"] = _("Give between 1 and %(max)s points.") % {"max": f"{GIFT_MAX_POINTS:,}"}
    elif kind == Gift.Kind.REWARD:
        if reward is None or reward.pk is None:
            errors["reward"] = _("Choose the reward to give.")
        if not 1 <= valid_days <= GIFT_MAX_VALID_DAYS:
            errors["valid_days"] = _("A coupon can be valid for 1 to %(max)s days.") % {
                "max": GIFT_MAX_VALID_DAYS
            }
    else:
        errors["kind"] = _("Choose points or a reward.")
    if errors:
        raise ValidationError(errors)
    return reason


def _existing(idempotency_key: str, member: User) -> Gift | None:
    gift = Gift.objects.filter(idempotency_key=idempotency_key).first()
    if gift is not None and gift.member_id != member.pk:
        raise ValueError(f"gift key {idempotency_key!r} belongs to another member")
    return gift


def _gift_save(gift: Gift) -> tuple[Gift, bool]:
    """Insert the gift, or return the one a concurrent call with the same key saved first;
    and whether this call saved it (only that call tells the member)."""
    try:
        with transaction.atomic():
            gift.save()
    except IntegrityError:
        if existing := Gift.objects.filter(idempotency_key=gift.idempotency_key).first():
            return existing, False
        raise
    return gift, True


@transaction.atomic
def gift_points(
    *,
    member: User,
    points: int,
    reason: str,
    author: User | None,
    idempotency_key: str,
    campaign: Campaign | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Gift:
    """Give ``points``: an approved ``gift`` row in the ledger, spendable at once, never
    status or leaderboard points; ``author`` (None for a campaign's automatic gift) is the
    row's actor. ``notify=False`` when the caller tells the member itself (a campaign's
    message holds the gift)."""
    now = now or timezone.now()
    if existing := _existing(idempotency_key, member):
        return existing
    reason = gift_validate(kind=Gift.Kind.POINTS, points=points, reason=reason)
    entry = points_gift(
        member=member,
        amount=points,
        reason=reason,
        actor=author,
        idempotency_key=f"gift:{idempotency_key}",
        now=now,
    )
    if existing := _existing(idempotency_key, member):
        return existing  # given by a concurrent call while this one waited for the ledger
    gift, created = _gift_save(
        Gift(
            member=member,
            kind=Gift.Kind.POINTS,
            points=points,
            reason=reason,
            author=author,
            campaign=campaign,
            idempotency_key=idempotency_key,
            entry=entry,
            created_at=now,
        )
    )
    if notify and created:
        with in_member_language(member):
            notification_send(
                recipient=member,
                kind="gift",
                title=ngettext(
                    "A gift for you: %(points)s point", "A gift for you: %(points)s points", points
                )
                % {"points": points},
                body=reason,
                url=REWARDS_URL,
            )
    return gift


@transaction.atomic
def gift_reward(
    *,
    member: User,
    reward: Reward,
    reason: str,
    author: User | None,
    idempotency_key: str,
    valid_days: int = DEFAULT_VALID_DAYS,
    campaign: Campaign | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Gift:
    """Give ``reward`` as a coupon valid ``valid_days`` (1 to 730) from ``now``: a zero-point
    ``gift`` row in the ledger (``author`` its actor) and a redemption with a new coupon code.

    A gift is not a purchase: the reward may be inactive (a "gift only" reward kept out of the
    catalogue), and its cost, minimum tier, stock and per-member limit do not apply. The coupon
    costs no points, so a later reversal of the member's points never voids it."""
    now = now or timezone.now()
    if existing := _existing(idempotency_key, member):
        return existing
    reason = gift_validate(kind=Gift.Kind.REWARD, reward=reward, reason=reason, valid_days=valid_days)
    redemption = reward_gift(
        member=member,
        reward=reward,
        reason=reason,
        actor=author,
        idempotency_key=f"gift:{idempotency_key}",
        valid_days=valid_days,
        now=now,
    )
    if existing := _existing(idempotency_key, member):
        return existing
    gift, created = _gift_save(
        Gift(
            member=member,
            kind=Gift.Kind.REWARD,
            reward=reward,
            reason=reason,
            author=author,
            campaign=campaign,
            idempotency_key=idempotency_key,
            entry=redemption.entry,
            redemption=redemption,
            created_at=now,
        )
    )
    if notify and created:
        assert redemption.expires_at is not None  # reward_gift always sets it
        with in_member_language(member):
            notification_send(
                recipient=member,
                kind="gift",
                title=_("A gift for you: %(reward)s") % {"reward": reward.name},
                body=_("Your coupon %(code)s is valid until %(date)s. %(reason)s")
                % {
                    "code": redemption.coupon_code,
                    "date": timezone.localdate(redemption.expires_at).isoformat(),
                    "reason": reason,
                },
                url=REWARDS_URL,
            )
    return gift


def gift_key(batch_key: str, member_id: int) -> str:
    return f"{batch_key}:{member_id}"


def gifts_give(
    *,
    members: Iterable[User],
    kind: str,
    points: int | None,
    reward: Reward | None,
    reason: str,
    author: User | None,
    batch_key: str,
    valid_days: int = DEFAULT_VALID_DAYS,
    campaign: Campaign | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> GiftBatchResult:
    """Give the same gift to each of ``members`` (closed accounts are skipped), each under
    ``gift_key(batch_key, member.pk)``: run it again, or with members already given, and
    nobody gets it twice. Checked once before anyone is given anything; each member's gift is
    its own transaction, so a batch cut short keeps what it gave and a re-run gives the rest."""
    reason = gift_validate(kind=kind, points=points, reward=reward, reason=reason, valid_days=valid_days)
    given = already = inactive = 0
    chunk: list[User] = []

    def give_chunk() -> None:
        nonlocal given, already, inactive
        keys = {gift_key(batch_key, member.pk): member for member in chunk}
        done = set(Gift.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
        for key, member in keys.items():
            if key in done:
                already += 1
            elif not member.is_active:
                inactive += 1
            else:
                if kind == Gift.Kind.POINTS:
                    assert points is not None  # gift_validate checked it
                    gift_points(
                        member=member,
                        points=points,
                        reason=reason,
                        author=author,
                        idempotency_key=key,
                        campaign=campaign,
                        notify=notify,
                        now=now,
                    )
                else:
                    assert reward is not None
                    gift_reward(
                        member=member,
                        reward=reward,
                        reason=reason,
                        author=author,
                        idempotency_key=key,
                        valid_days=valid_days,
                        campaign=campaign,
                        notify=notify,
                        now=now,
                    )
                given += 1
        chunk.clear()

    for member in members:
        chunk.append(member)
        if len(chunk) >= GIVE_CHUNK:
            give_chunk()
    if chunk:
        give_chunk()
    return GiftBatchResult(given=given, already_given=already, skipped_inactive=inactive)


__all__ = [
    "DEFAULT_VALID_DAYS",
    "GiftBatchResult",
    "gift_key",
    "gift_points",
    "gift_reward",
    "gift_validate",
    "gifts_give",
]
