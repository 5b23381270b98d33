"""Rewards' coupons as the shop's own discount codes (docs/shops.md, "Coupons in the shop").

A redemption gets one ``ShopCoupon`` per active shop that takes coupons, in the redemption's
transaction; the worker creates each in its shop after the commit (``shop_coupon_task``), and
the every-minute job (membership/jobs.py) tries again whatever is due: a passing failure
(network, throttling, the shop's own 5xx) after 1, 2, 4… minutes up to an hour, twelve tries
in all (about seven hours); a refusal (credentials, scopes, an unknown SKU) at once becomes
``failed`` for staff, who retry it from the admin once they have fixed the cause.

A try claims its row by moving ``next_attempt_at`` a lease ahead in one conditional UPDATE, so
two workers never call the shop for one coupon at once, and a worker killed mid-call leaves the
row to be tried again when the lease ends; the retry then finds the code the lost call created
(both platforms refuse a duplicate code, and the adapters look it up). No database transaction
is open during a call to the shop.

The member is told the code (the "Your coupon" notification) once every shop has it; a voided
coupon is removed from the shops again, so the shop refuses it as Kanta does.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from membership.languages import in_member_language
from membership.models import PointEntry, Redemption, Reward
from membership.services.notifications import notification_send
from membership.shops.models import Platform, ShopConnection, ShopCoupon
from membership.shops.shop_api import CouponAPI, CouponSpec, ShopAPIError

logger = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 60
RETRY_LONGEST_SECONDS = 3600
MAX_ATTEMPTS = 12
DUE_BATCH = 50

State = ShopCoupon.State


def lease() -> timedelta:
    """How long a try holds its row: longer than a try can take (three calls of at most 25 s
    each, connect and read timeouts), ``KANTA_SHOP_COUPON_LEASE_SECONDS``."""
    return timedelta(seconds=settings.KANTA_SHOP_COUPON_LEASE_SECONDS)


def coupon_shops() -> list[ShopConnection]:
    return list(ShopConnection.objects.filter(active=True, coupons_enabled=True).order_by("pk"))


def coupon_api(connection: ShopConnection) -> CouponAPI:
    # Imported here: the adapters read orders through the order service, which (through
    # campaigns' gifts) redeems rewards, which plans shop coupons with this module.
    from membership.shops.shopify import ShopifyCoupons
    from membership.shops.woocommerce import WooCommerceCoupons

    if connection.platform == Platform.SHOPIFY:
        return ShopifyCoupons(shop_domain=connection.shop_domain, access_token=connection.api_secret)
    return WooCommerceCoupons(
        site=connection.shop_domain, key=connection.api_key, secret=connection.api_secret
    )


def coupon_spec(redemption: Redemption) -> CouponSpec:
    reward = redemption.reward
    return CouponSpec(
        code=redemption.coupon_code,
        # The shop's discount list shows this: whose coupon, and for what.
        title=f"Kanta: {reward.name} ({redemption.coupon_code})",
        kind=reward.kind,
        value=reward.value,
        product_sku=reward.product.sku if reward.kind == Reward.Kind.PRODUCT and reward.product else "",
        ends_at=redemption.expires_at,
    )


def shop_coupons_plan(redemption: Redemption, *, now: datetime | None = None) -> list[ShopCoupon]:
    """In the redemption's transaction: one coupon to create per shop that takes them, each
    queued for the worker after the commit. Empty when no shop takes coupons (the code is
    the member's at once, for a shop that asks Kanta's coupon API at checkout)."""
    now = now or timezone.now()
    rows = [
        ShopCoupon.objects.create(redemption=redemption, connection=shop, next_attempt_at=now)
        for shop in coupon_shops()
    ]
    for row in rows:
        _queue(row.pk)
    return rows


def shop_coupons_withdraw(redemption: Redemption, *, now: datetime | None = None) -> int:
    """In the void's transaction: take the code out of every shop that has (or may have) it."""
    now = now or timezone.now()
    # Never tried: nothing in any shop yet, and the claim (attempts + 1) cannot race this.
    ShopCoupon.objects.filter(redemption=redemption, state=State.PENDING, attempts=0).update(
        state=State.WITHDRAWN, next_attempt_at=None
    )
    rows = list(
        ShopCoupon.objects.filter(redemption=redemption)
        .exclude(state=State.WITHDRAWN)
        .values_list("pk", flat=True)
    )
    ShopCoupon.objects.filter(pk__in=rows).update(state=State.WITHDRAWING, next_attempt_at=now, attempts=0)
    for pk in rows:
        _queue(pk)
    return len(rows)


def shop_coupon_retry(row: ShopCoupon, *, now: datetime | None = None) -> None:
    """Staff's "try again" on a failed coupon: create it, or remove it if it was voided since."""
    now = now or timezone.now()
    voided = Redemption.objects.filter(pk=row.redemption_id, voided_at__isnull=False).exists()
    ShopCoupon.objects.filter(pk=row.pk, state=State.FAILED).update(
        state=State.WITHDRAWING if voided else State.PENDING, next_attempt_at=now, attempts=0
    )
    _queue(row.pk)


def _queue(pk: int) -> None:
    from membership.shops.tasks import shop_coupon_task

    transaction.on_commit(lambda: shop_coupon_task.enqueue(pk), robust=True)


def shop_coupon_attempt(pk: int, *, now: datetime | None = None) -> str:
    """One try at what the coupon needs (creating it, or removing it); the state it is left in,
    or "" when it was not due or another worker holds it."""
    now = now or timezone.now()
    row = (
        ShopCoupon.objects.select_related("connection", "redemption__reward__product")
        .filter(pk=pk, state__in=[State.PENDING, State.WITHDRAWING], next_attempt_at__lte=now)
        .first()
    )
    if row is None:
        return ""
    claimed = ShopCoupon.objects.filter(
        pk=pk, state=row.state, next_attempt_at=row.next_attempt_at, attempts=row.attempts
    ).update(next_attempt_at=now + lease(), attempts=F("attempts") + 1)
    if not claimed:
        return ""
    row.attempts += 1
    try:
        api = coupon_api(row.connection)
        if row.state == State.PENDING:
            external_id = api.coupon_create(coupon_spec(row.redemption))
        else:
            api.coupon_delete(code=row.redemption.coupon_code, external_id=row.external_id)
    except ShopAPIError as exc:
        return _failed(row, exc, now=now)
    if row.state == State.PENDING:
        return _created(row, external_id, now=now)
    ShopCoupon.objects.filter(pk=pk, state=State.WITHDRAWING).update(
        state=State.WITHDRAWN, next_attempt_at=None, last_error=""
    )
    return State.WITHDRAWN


@transaction.atomic
def _created(row: ShopCoupon, external_id: str, *, now: datetime) -> str:
    # The redemption's lock: two shops finishing together tell the member once.
    redemption = (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("member", "reward", "entry")
        .get(pk=row.redemption_id)
    )
    if not ShopCoupon.objects.filter(pk=row.pk, state=State.PENDING).update(
        state=State.LIVE, external_id=external_id, live_at=now, next_attempt_at=None, last_error=""
    ):
        # Voided while the shop was creating it: the removal needs the id.
        ShopCoupon.objects.filter(pk=row.pk).update(external_id=external_id)
        return ""
    # A gift's campaign or staff tell the member themselves (services/rewards.py reward_gift).
    gifted = redemption.entry.kind == PointEntry.Kind.GIFT
    if not gifted and not redemption.shop_coupons.exclude(state__in=[State.LIVE, State.WITHDRAWN]).exists():
        coupon_ready_notify(redemption)
    return State.LIVE


def coupon_ready_notify(redemption: Redemption) -> None:
    member = redemption.member
    with in_member_language(member):
        notification_send(
            recipient=member,
            kind="reward-redeemed",
            title=_("Your coupon: %(code)s") % {"code": redemption.coupon_code},
            body=redemption.reward.name,
            url="/rewards/",
        )


def _failed(row: ShopCoupon, exc: ShopAPIError, *, now: datetime) -> str:
    message = f"{timezone.localtime(now):%Y-%m-%d %H:%M} ({_attempt(row)}): {exc}"[:2000]
    if exc.passing and row.attempts < MAX_ATTEMPTS:
        wait = min(RETRY_FIRST_SECONDS * 2 ** (row.attempts - 1), RETRY_LONGEST_SECONDS)
        wait = max(wait, exc.retry_after or 0)
        logger.warning("shop coupon %s: try %s failed, again in %ss: %s", row.pk, row.attempts, wait, exc)
        ShopCoupon.objects.filter(pk=row.pk, state=row.state).update(
            next_attempt_at=now + timedelta(seconds=wait), last_error=message
        )
        return row.state
    logger.error("shop coupon %s: gave up after %s tries: %s", row.pk, row.attempts, exc)
    ShopCoupon.objects.filter(pk=row.pk, state=row.state).update(
        state=State.FAILED, next_attempt_at=None, last_error=message
    )
    return State.FAILED


def _attempt(row: ShopCoupon) -> str:
    return f"try {row.attempts}"


def shop_coupons_due(*, now: datetime | None = None, limit: int = DUE_BATCH) -> str:
    """The every-minute job: every coupon whose next try is due (a retry, a lease that ended,
    a queued task that was lost)."""
    now = now or timezone.now()
    due = list(
        ShopCoupon.objects.filter(state__in=[State.PENDING, State.WITHDRAWING], next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = [shop_coupon_attempt(pk, now=now) for pk in due]
    done = sum(1 for outcome in outcomes if outcome in {State.LIVE, State.WITHDRAWN})
    return f"{done} of {len(due)} shop coupon(s) done" if due else ""


def redemption_in_shops(redemption: Redemption) -> str:
    """What the member is shown instead of the code: "" (the code: every shop has it, or no
    shop takes coupons), "pending" or "failed"."""
    states = set(redemption.shop_coupons.values_list("state", flat=True))
    if State.FAILED in states:
        return "failed"
    return "pending" if State.PENDING in states else ""


__all__ = [
    "coupon_ready_notify",
    "redemption_in_shops",
    "shop_coupon_attempt",
    "shop_coupon_retry",
    "shop_coupons_due",
    "shop_coupons_plan",
    "shop_coupons_withdraw",
]
