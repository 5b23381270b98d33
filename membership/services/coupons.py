"""The shop's side of coupons: look one up at checkout, mark it used once, refuse expired
ones (gifted coupons expire; bought ones do not), and void unused ones whose points were taken
back (never a gifted one: no points paid for it)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..languages import in_member_language
from ..models import PointEntry, Redemption, User
from ..shops.coupons import shop_coupons_withdraw
from .notifications import notification_send
from .points import compute_balances, points_void_redemption


class CouponNotFound(Exception):
    pass


class CouponAlreadyUsed(Exception):
    def __init__(self, redemption: Redemption) -> None:
        self.redemption = redemption
        assert redemption.used_at is not None  # raised only for a used coupon
        super().__init__(
            _("Coupon %(code)s was already used on %(date)s.")
            % {"code": redemption.coupon_code, "date": redemption.used_at.isoformat()}
        )


class CouponInvalid(Exception):
    """The coupon exists but cannot be used (its member's account is closed, it was voided,
    or it expired)."""


class CouponExpired(CouponInvalid):
    def __init__(self, redemption: Redemption) -> None:
        self.redemption = redemption
        assert redemption.expires_at is not None  # raised only for a coupon with an expiry
        super().__init__(
            _("This coupon expired on %(date)s.")
            % {"date": timezone.localdate(redemption.expires_at).isoformat()}
        )


def coupon_expired(redemption: Redemption, *, now: datetime | None = None) -> bool:
    return redemption.expires_at is not None and redemption.expires_at <= (now or timezone.now())


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


def coupon_is_valid(redemption: Redemption, *, now: datetime | None = None) -> bool:
    return (
        redemption.used_at is None
        and redemption.voided_at is None
        and not coupon_expired(redemption, now=now)
        and redemption.member.is_active
    )


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
    if redemption.voided_at is not None:
        raise CouponInvalid(_("This coupon was voided: the points that paid for it were taken back."))
    if coupon_expired(redemption, now=now):
        raise CouponExpired(redemption)
    if not redemption.member.is_active:
        raise CouponInvalid(_("This coupon's member account is closed."))
    redemption.used_at = now
    redemption.save(update_fields=["used_at"])
    with in_member_language(redemption.member):
        notification_send(
            recipient=redemption.member,
            kind="coupon-used",
            title=_("Your coupon %(code)s was used") % {"code": redemption.coupon_code},
            body=redemption.reward.name,
            url="/rewards/",
        )
    return redemption


def coupons_void_to_cover(*, member: User, since: datetime, reason: str, now: datetime) -> list[Redemption]:
    """Void the member's unused coupons redeemed since ``since``, newest first, while their
    spendable balance is negative; each gives its cost back through the ledger. Called for
    ``points_reverse`` inside its transaction, with the member's standing locked (its
    ``approved_points_reversed`` signal, membership/receivers.py).

    Only coupons redeemed after the reversed points became spendable can have been paid for
    with them. A coupon the shop is applying at this moment is either used first (its row
    lock) and kept, or voided first and refused at checkout. A gifted coupon (its entry a
    zero-point ``gift`` row) is never voided: no points paid for it, so voiding it would
    cover nothing and take a gift away."""
    balance = compute_balances(member, now=now).spendable
    if balance >= 0:
        return []
    candidates = (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("reward", "entry")
        .filter(member=member, used_at__isnull=True, voided_at__isnull=True, created_at__gte=since)
        .exclude(entry__kind=PointEntry.Kind.GIFT)
        .order_by("-created_at", "-pk")
    )
    voided = []
    for redemption in candidates:
        if balance >= 0:
            break
        redemption.voided_at = now
        redemption.void_reason = reason[:300]
        redemption.save(update_fields=["voided_at", "void_reason"])
        points_void_redemption(redemption=redemption, now=now)
        shop_coupons_withdraw(redemption, now=now)
        balance -= redemption.entry.amount  # a redemption's entry is negative: its cost back
        voided.append(redemption)
        with in_member_language(member):
            notification_send(
                recipient=member,
                kind="coupon-voided",
                title=_("Your coupon %(code)s was voided") % {"code": redemption.coupon_code},
                body=_("The points that paid for it were taken back, so the shop no longer accepts it."),
                url="/rewards/",
            )
    return voided


__all__ = [
    "CouponAlreadyUsed",
    "CouponExpired",
    "CouponInvalid",
    "CouponNotFound",
    "coupon_expired",
    "coupon_get",
    "coupon_is_valid",
    "coupon_use",
    "coupons_void_to_cover",
]
