"""The shop's side of coupons: look one up at checkout, and mark it used, once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Redemption
from .notifications import notification_send


class CouponNotFound(Exception):
    pass


class CouponAlreadyUsed(Exception):
    def __init__(self, redemption: Redemption) -> None:
        self.redemption = redemption
        super().__init__(
            _("Coupon %(code)s was already used on %(date)s.")
            % {"code": redemption.coupon_code, "date": redemption.used_at.isoformat()}
        )


class CouponInvalid(Exception):
    """The coupon exists but cannot be used (its member's account is closed)."""


def coupon_normalise(code: str) -> str:
    # Codes are printed upper case; a shop may pass on what the customer typed.
    return code.strip().upper()


def coupon_get(*, code: str) -> Redemption:
    """The redemption behind a coupon code, with what the shop needs to apply it."""
    redemption = (
        Redemption.objects.select_related("member", "reward", "reward__product")
        .filter(coupon_code=coupon_normalise(code))
        .first()
    )
    if redemption is None:
        raise CouponNotFound(_("No coupon has this code."))
    return redemption


def coupon_is_valid(redemption: Redemption) -> bool:
    return redemption.used_at is None and redemption.member.is_active


@transaction.atomic
def coupon_use(*, code: str, now: datetime | None = None) -> Redemption:
    """Mark the coupon used. A coupon is used once: the second call raises
    CouponAlreadyUsed, whoever makes it (the row lock serialises two checkouts)."""
    now = now or timezone.now()
    redemption = (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("member", "reward", "reward__product")
        .filter(coupon_code=coupon_normalise(code))
        .first()
    )
    if redemption is None:
        raise CouponNotFound(_("No coupon has this code."))
    if redemption.used_at is not None:
        raise CouponAlreadyUsed(redemption)
    if not redemption.member.is_active:
        raise CouponInvalid(_("This coupon's member account is closed."))
    redemption.used_at = now
    redemption.save(update_fields=["used_at"])
    notification_send(
        recipient=redemption.member,
        kind="coupon-used",
        title=_("Your coupon %(code)s was used") % {"code": redemption.coupon_code},
        body=redemption.reward.name,
        url="/rewards/",
    )
    return redemption


__all__ = [
    "CouponAlreadyUsed",
    "CouponInvalid",
    "CouponNotFound",
    "coupon_get",
    "coupon_is_valid",
    "coupon_use",
]
