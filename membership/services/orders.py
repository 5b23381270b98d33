"""Orders the shop reports (the webhook and ``import_orders``), turned into purchase points.

How an order is expressed (docs/api.md says the same for the shop's developers):

- ``total`` is what the customer still pays after refunds; the first total we receive for a
  paid order is kept as ``original_total``. The refunded share is
  ``(original_total - total) / original_total``, cumulative.
- ``lines`` are the lines as ordered. Later messages about the same order may repeat them;
  they are not compared (refunds are money, and a goodwill refund has no line).
- Refunds only grow. A message that refunds less than we already recorded (a late retry of
  an older state) is acknowledged as ``stale`` and changes nothing.
- An order whose first message is already a refund was never seen paid: it is stored with
  ``earns_points=False`` and never earns anything.

Points: rule ``purchase`` per whole currency unit of ``original_total``, and rule
``purchase-sustainable`` per whole unit of the sustainable lines' value (pro-rated when the
lines add up to more than the total, i.e. a discount was given). Both are granted with
``now`` = the order's ``created_at`` (never later than the real time), so the pending
window of the rules is the order's return window even when the order is linked weeks later.
A refund reverses the same share of both entries, with keys that make a replay harmless.

The coupon code the customer used (``coupon_code``) is stored, upper case, with the order's
first message; a later message may leave it out, and one with another code is rejected, as
one in another currency is.

``refund_pending`` is the shop's word that a refund was requested and is not yet settled
(campaigns send no marketing meanwhile). Each message that is not stale states it anew: a
later message without it (a refund applied, or the request withdrawn) clears it. A fully
refunded order has nothing left to refund, so it is never pending. A message that changes
only this flag is ``updated`` and moves no points.

Members are matched by a *verified* email address only (case-insensitive): an address
anyone could type at sign-up must not collect someone else's purchases. Orders for unknown
emails wait, unlinked, until that address is verified (``orders_link_email``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, localcontext
from functools import partial
from typing import Literal, cast

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from content.models import Product

from ..languages import in_member_language
from ..models import Order, OrderLine, PointEntry, User
from ..signals import order_paid, order_refunded
from .badges import badges_evaluate
from .coupons import coupon_normalise
from .notifications import notification_send
from .points import PointsGrant, points_grant_many, points_reverse, source_key

Status = Order.Status
# Refunds only move forward: paid → partially refunded → refunded.
STATUS_RANK: dict[str, int] = {Status.PAID: 0, Status.PARTIALLY_REFUNDED: 1, Status.REFUNDED: 2}
CENT = Decimal("0.01")
# A CharField: its max_length is always set.
COUPON_CODE_LENGTH = cast(int, Order._meta.get_field("coupon_code").max_length)
# Kanta's own codes (POLKU-ABCD-EFGH) and the usual shop codes; matched in any case.
COUPON_CODE = re.compile(r"[A-Za-z0-9_-]+")

Result = Literal["created", "updated", "unchanged", "stale"]


@dataclass(frozen=True)
class LineData:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class OrderReceipt:
    order: Order
    result: Result
    # The order's points by state ({"pending": n, "approved": n}) when the call knows them
    # without asking the ledger (a new order); None otherwise: ``order_points`` reads them.
    points: dict[str, int] | None = None


class OrderRejected(Exception):
    """The order cannot be accepted as sent. ``errors`` maps field paths (``total``,
    ``lines.0.quantity``) to messages, the same shape the API answers with."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))


def refunded_share(order: Order) -> Decimal:
    """The cumulative share of the original total refunded, 0..1."""
    if order.status == Status.REFUNDED:
        return Decimal(1)
    if order.original_total <= 0:
        return Decimal(0)
    share = (order.original_total - order.total) / order.original_total
    return min(Decimal(1), max(Decimal(0), share))


def refund_pending_stored(*, status: str, refund_pending: bool) -> bool:
    """The ``refund_pending`` stored for a message: never on a fully refunded order (nothing is
    left to refund, and the shop may not clear the flag on that last message)."""
    return refund_pending and status != Status.REFUNDED


def coupon_code_error(code: str) -> str:
    """Why ``code`` cannot be an order's coupon code, or "" when it can (empty: no coupon)."""
    code = code.strip()
    if len(code) > COUPON_CODE_LENGTH:
        return _("Use at most %(count)s characters.") % {"count": COUPON_CODE_LENGTH}
    if code and not COUPON_CODE.fullmatch(code):
        return _("A coupon code holds only the letters A to Z, digits, hyphens and underscores.")
    return ""


def _check(
    *,
    status: str,
    total: Decimal,
    refunded_total: Decimal | None,
    lines: Sequence[LineData],
    coupon_code: str = "",
) -> None:
    errors: dict[str, list[str]] = {}
    if status not in STATUS_RANK:
        errors["status"] = [_("Choose one of: paid, partially_refunded, refunded.")]
    if total < 0:
        errors["total"] = [_("The total cannot be negative.")]
    elif status == Status.REFUNDED and total != 0:
        errors["total"] = [_("A refunded order's total is 0: it is what the customer still pays.")]
    elif status == Status.PARTIALLY_REFUNDED and total == 0:
        errors["total"] = [_("Nothing is left to pay: send the status refunded.")]
    if status == Status.PAID and refunded_total:
        errors["refunded_total"] = [_("A paid order has no refunds: send the status partially_refunded.")]
    if status == Status.PAID and not lines:
        errors["lines"] = [_("A paid order needs at least one line.")]
    for index, line in enumerate(lines):
        if line.quantity < 1:
            errors[f"lines.{index}.quantity"] = [_("The quantity must be at least 1.")]
        if line.price < 0:
            errors[f"lines.{index}.price"] = [_("The price cannot be negative.")]
    if message := coupon_code_error(coupon_code):
        errors["coupon_code"] = [message]
    if errors:
        raise OrderRejected(errors)


def _verified_member(email: str) -> User | None:
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True, user__is_active=True)
        .select_related("user")
        .order_by("-primary", "pk")
        .first()
    )
    return address.user if address else None


def _award_time(order: Order, now: datetime) -> datetime:
    # The shop's clock may run ahead of ours; a grant is never dated in the future.
    return min(order.created_at, now)


def _sustainable_value(order: Order, lines: Sequence[OrderLine]) -> Decimal:
    ordered = sum((line.price * line.quantity for line in lines), Decimal(0))
    sustainable = sum((line.price * line.quantity for line in lines if line.is_sustainable), Decimal(0))
    if ordered > order.original_total > 0:
        # A discount lowered the total: the bonus is on what was actually paid for them.
        sustainable = sustainable * order.original_total / ordered
    return min(sustainable, order.original_total)


def _earned_entries(order: Order) -> list[PointEntry]:
    source_type, source_id = source_key(order)
    return list(
        PointEntry.objects.filter(
            source_type=source_type, source_id=source_id, kind=PointEntry.Kind.EARN
        ).order_by("pk")
    )


def _order_member(order: Order) -> User:
    """The member of an order its caller has seen linked (``member_id`` set)."""
    member = order.member
    assert member is not None
    return member


def _purchase_grants(order: Order, lines: Sequence[OrderLine], *, now: datetime) -> list[PointsGrant]:
    """What the paid order earns its member, as awards for the points service."""
    when = _award_time(order, now)
    note = _("Order %(order)s") % {"order": order.external_id}
    grants = []
    units = math.floor(order.original_total)
    if units > 0:
        grants.append(
            PointsGrant(
                member=_order_member(order),
                rule_key="purchase",
                source=order,
                units=units,
                now=when,
                note=note,
            )
        )
    bonus_units = math.floor(_sustainable_value(order, lines))
    if bonus_units > 0:
        grants.append(
            PointsGrant(
                member=_order_member(order),
                rule_key="purchase-sustainable",
                source=order,
                units=bonus_units,
                now=when,
                note=note,
            )
        )
    return grants


def _award(
    order: Order, *, lines: Sequence[OrderLine], now: datetime, savepoint: bool = True
) -> dict[str, int]:
    """Grant the order's points to its member (idempotent) and tell listeners that it
    counts as paid. Called once per order: when it arrives for a known member, or when
    it is linked. Returns its entries' points by state, as ``order_points`` counts them.

    ``savepoint=False`` for a new order: its atomic block is undone and the message taken
    again when the ledger meets a concurrent grant (``order_receive``)."""
    own = _purchase_grants(order, lines, now=now)
    grants = list(own)
    # Receivers answer with the awards the order earns others (a referral it qualifies): all
    # of them go to the ledger in one call, whose work does not grow with the awards.
    for _receiver, response in order_paid.send(sender=Order, order=order, now=_award_time(order, now)):
        if isinstance(response, list):
            grants += [grant for grant in response if isinstance(grant, PointsGrant)]
    entries = points_grant_many(grants=grants, savepoint=savepoint)
    points = {"pending": 0, "approved": 0}
    for entry in entries[: len(own)]:
        if entry is not None and entry.state in points:
            points[entry.state] += entry.amount
    return points


def _reverse_share(order: Order, *, now: datetime) -> Decimal:
    """Bring the reversals of the order's entries up to its cumulative refunded share.

    ``points_reverse`` takes a fraction *of the entry*; we pass the increment still missing,
    rounded down, so that repeated partial refunds add up to the share and never beyond it.
    The key carries the refunded amount, so replaying one refund reverses nothing twice."""
    share = refunded_share(order)
    if share <= 0:
        return share
    refunded_cents = int(((order.original_total - order.total) / CENT).to_integral_value())
    percent = f"{(share * 100).quantize(Decimal('0.1')):f}".removesuffix(".0")
    reason = _("Order %(order)s refunded (%(percent)s%%)") % {"order": order.external_id, "percent": percent}
    entries = [
        entry
        for entry in _earned_entries(order)
        if entry.state not in (PointEntry.State.REVERSED, PointEntry.State.EXPIRED)
    ]
    for entry in entries:
        entry.member = _order_member(order)  # the ledger locks their standing: no re-read
    # What each entry has had reversed so far, for all of them in one query.
    reversed_so_far = (
        dict(
            PointEntry.objects.filter(reverses__in=entries)
            .exclude(state=PointEntry.State.REVERSED)
            .values("reverses_id")
            .annotate(total=Sum("amount"))
            .values_list("reverses_id", "total")
        )
        if entries
        else {}
    )
    for entry in entries:
        target = min(entry.amount, math.ceil(entry.amount * share))
        already = -(reversed_so_far.get(entry.pk) or 0)
        missing = target - already
        if missing <= 0:
            continue
        with localcontext() as ctx:
            ctx.rounding = ROUND_FLOOR
            fraction = Decimal(missing) / Decimal(entry.amount)
        points_reverse(
            entry=entry,
            reason=reason,
            fraction=fraction,
            idempotency_key=f"refund:{order.pk}:{entry.pk}:{refunded_cents}",
            now=now,
        )
    return share


def _notify_points(member: User, orders: list[Order], *, points: int | None = None) -> None:
    """Tell the member what their orders earned, net of refunds (one message per call).
    ``points``: what they earned when the caller knows it already (a new order's grants)."""
    source_type, _id = source_key(orders[0])
    points = (
        points
        if points is not None
        else (
            PointEntry.objects.filter(
                member=member,
                source_type=source_type,
                source_id__in=[str(order.pk) for order in orders],
                state__in=[PointEntry.State.PENDING, PointEntry.State.APPROVED],
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
    )
    if points <= 0:
        return
    with in_member_language(member):
        if len(orders) == 1:
            title = ngettext(
                "%(points)s point for your order %(order)s",
                "%(points)s points for your order %(order)s",
                points,
            ) % {
                "points": points,
                "order": orders[0].external_id,
            }
        else:
            title = ngettext(
                "%(points)s points for %(count)s earlier order",
                "%(points)s points for %(count)s earlier orders",
                len(orders),
            ) % {"points": points, "count": len(orders)}
        notification_send(
            recipient=member,
            kind="order-points",
            title=title,
            body=_("Purchase points become spendable once the return window has passed."),
            url=member.get_absolute_url(),
            # Every caller is inside its own atomic block, which rolls this back with the
            # order's points should it fail: no savepoint of its own is needed.
            savepoint=False,
        )


def _products(skus: set[str]) -> dict[str, Product]:
    return {
        product.sku: product
        for product in Product.objects.filter(sku__in=skus).only("pk", "sku", "is_sustainable")
    }


def _lines_new(order: Order, lines: Sequence[LineData], products: dict[str, Product]) -> list[OrderLine]:
    """The order's lines, unsaved; a line is sustainable when its product is at this moment."""
    built = []
    for line in lines:
        product = products.get(line.sku)
        built.append(
            OrderLine(
                order_id=order.pk,
                sku=line.sku,
                product_id=product.pk if product else None,
                quantity=line.quantity,
                price=line.price,
                is_sustainable=bool(product and product.is_sustainable),
            )
        )
    return built


def _order_new(
    *,
    external_id: str,
    email: str,
    member: User | None,
    status: str,
    currency: str,
    total: Decimal,
    refunded_total: Decimal | None,
    created_at: datetime,
    referral_code: str,
    coupon_code: str,
    refund_pending: bool,
    now: datetime,
) -> Order:
    """The order as first reported, unsaved."""
    paid = status == Status.PAID
    return Order(
        external_id=external_id,
        email=email,
        member=member,
        status=status,
        currency=currency,
        original_total=total if paid else total + (refunded_total or Decimal(0)),
        total=total,
        referral_code=referral_code,
        coupon_code=coupon_normalise(coupon_code),
        earns_points=paid,
        refund_pending=refund_pending_stored(status=status, refund_pending=refund_pending),
        created_at=created_at,
        received_at=now,
        updated_at=now,
    )


def _create(
    *,
    external_id: str,
    email: str,
    status: str,
    currency: str,
    total: Decimal,
    refunded_total: Decimal | None,
    created_at: datetime,
    lines: Sequence[LineData],
    referral_code: str,
    coupon_code: str,
    refund_pending: bool,
    now: datetime,
) -> tuple[Order, list[OrderLine]]:
    """Insert the order and its lines, returned as inserted (the points need not read them
    again). A concurrent call that inserted the order first makes this raise IntegrityError
    (``order_receive`` then starts over)."""
    order = _order_new(
        external_id=external_id,
        email=email,
        member=_verified_member(email),
        status=status,
        currency=currency,
        total=total,
        refunded_total=refunded_total,
        created_at=created_at,
        referral_code=referral_code,
        coupon_code=coupon_code,
        refund_pending=refund_pending,
        now=now,
    )
    order.save(force_insert=True)
    built = OrderLine.objects.bulk_create(_lines_new(order, lines, _products({line.sku for line in lines})))
    return order, built


def order_receive(
    *,
    external_id: str,
    email: str,
    status: str,
    currency: str,
    total: Decimal,
    created_at: datetime,
    lines: Sequence[LineData],
    referral_code: str = "",
    coupon_code: str = "",
    refunded_total: Decimal | None = None,
    refund_pending: bool = False,
    now: datetime | None = None,
    notify: bool = True,
) -> OrderReceipt:
    """Store what the shop says about an order and settle its points. Idempotent by
    ``external_id``: the same message twice changes nothing the second time. Raises
    OrderRejected (nothing stored) when the message contradicts itself or the stored order.
    ``coupon_code`` is the coupon the customer used, stored (upper case) with the order's
    first message; later messages may leave it out but not change it.
    ``refund_pending``: a refund requested and not yet settled, as of this message (a later
    message without it clears it; a stale one changes nothing).
    ``notify=False`` (imports of history) sends the member no notification."""
    now = now or timezone.now()
    email = email.strip()
    _check(status=status, total=total, refunded_total=refunded_total, lines=lines, coupon_code=coupon_code)
    receive = partial(
        _receive,
        external_id=external_id,
        email=email,
        status=status,
        currency=currency,
        total=total,
        created_at=created_at,
        lines=lines,
        referral_code=referral_code,
        coupon_code=coupon_code,
        refunded_total=refunded_total,
        refund_pending=refund_pending,
        now=now,
        notify=notify,
    )
    try:
        return receive()
    except IntegrityError:
        # The order's insert lost a race with a concurrent call, which has committed by now:
        # everything this call wrote is undone with its atomic block, and the message is
        # taken again as an update. (Starting over costs nothing in the usual case, where a
        # savepoint around the insert would cost two statements on every new order.)
        if not Order.objects.filter(external_id=external_id).exists():
            raise
        return receive()


@transaction.atomic
def _receive(
    *,
    external_id: str,
    email: str,
    status: str,
    currency: str,
    total: Decimal,
    created_at: datetime,
    lines: Sequence[LineData],
    referral_code: str,
    coupon_code: str,
    refunded_total: Decimal | None,
    refund_pending: bool,
    now: datetime,
    notify: bool,
) -> OrderReceipt:
    # The member comes with the order (points, badges and notifications need them); only the
    # order's row is locked.
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(external_id=external_id)
        .first()
    )
    if order is None:
        order, built = _create(
            external_id=external_id,
            email=email,
            status=status,
            currency=currency,
            total=total,
            refunded_total=refunded_total,
            created_at=created_at,
            lines=lines,
            referral_code=referral_code,
            coupon_code=coupon_code,
            refund_pending=refund_pending,
            now=now,
        )
        # A new order has no entries but the ones granted here (none when unlinked).
        points = {"pending": 0, "approved": 0}
        if order.member_id and order.earns_points:
            points = _award(order, lines=built, now=now, savepoint=False)
            badges_evaluate(member=_order_member(order), event="order.paid")
            if notify:
                _notify_points(_order_member(order), [order], points=sum(points.values()))
        return OrderReceipt(order=order, result="created", points=points)
    return _update(
        order,
        status=status,
        currency=currency,
        total=total,
        coupon_code=coupon_code,
        refund_pending=refund_pending,
        now=now,
        notify=notify,
    )


def _conflicts(order: Order, *, currency: str, coupon_code: str) -> dict[str, list[str]]:
    """What a later message says that contradicts the stored order (``OrderRejected.errors``)."""
    errors: dict[str, list[str]] = {}
    if currency != order.currency:
        errors["currency"] = [_("This order was paid in %(currency)s.") % {"currency": order.currency}]
    code = coupon_normalise(coupon_code)
    if code and code != order.coupon_code:
        errors["coupon_code"] = [
            _("This order was reported with the coupon code %(code)s.") % {"code": order.coupon_code}
            if order.coupon_code
            else _("This order was reported without a coupon code.")
        ]
    return errors


def order_message_repeats(
    order: Order,
    *,
    status: str,
    currency: str,
    total: Decimal,
    coupon_code: str = "",
    refund_pending: bool = False,
) -> bool:
    """Whether a message about the stored ``order`` only repeats it: ``order_receive`` would
    answer ``unchanged`` and write nothing, unless it links the order to a member whose
    address was verified since (the caller checks that)."""
    return (
        not _conflicts(order, currency=currency, coupon_code=coupon_code)
        and (order.earns_points or status != Status.PAID)
        and total == order.total
        and status == order.status
        and refund_pending_stored(status=status, refund_pending=refund_pending) == order.refund_pending
    )


def _update(
    order: Order,
    *,
    status: str,
    currency: str,
    total: Decimal,
    coupon_code: str,
    refund_pending: bool,
    now: datetime,
    notify: bool,
) -> OrderReceipt:
    if errors := _conflicts(order, currency=currency, coupon_code=coupon_code):
        raise OrderRejected(errors)
    result: Result = "unchanged"
    newly_earning = False
    money_moved = False  # else at most the refund request changed: no points to settle
    pending = refund_pending_stored(status=status, refund_pending=refund_pending)
    if not order.earns_points and status == Status.PAID:
        # The paid message overtaken by its own refund: now we have seen the order paid.
        # Its refund_pending is older news than the refund's, so it is not taken.
        order.earns_points, newly_earning = True, True
        order.original_total = max(order.original_total, total)
        result, money_moved = "updated", True
    elif total > order.total or STATUS_RANK[status] < STATUS_RANK[order.status]:
        result = "stale"  # a late retry of an older state; refunds only grow
    elif total != order.total or status != order.status:
        order.total, order.status, order.refund_pending = total, status, pending
        result, money_moved = "updated", True
    elif pending != order.refund_pending:
        order.refund_pending, result = pending, "updated"
    linked_now = False
    if order.member_id is None and (member := _verified_member(order.email)):
        # The address was verified by a path that sent no signal (staff, an import): link now.
        order.member, linked_now = member, True
    if result == "updated" or linked_now:
        order.updated_at = now
        order.save(
            update_fields=[
                "member",
                "total",
                "status",
                "earns_points",
                "original_total",
                "refund_pending",
                "updated_at",
            ]
        )
    if order.member_id is None or not order.earns_points or not (money_moved or linked_now):
        return OrderReceipt(order=order, result=result)
    if linked_now or newly_earning:
        if order.status == Status.REFUNDED:
            return OrderReceipt(order=order, result=result)  # refunded before it ever counted
        _award(order, lines=list(order.lines.all()), now=now)
    share = _reverse_share(order, now=now)
    if share > 0:
        order_refunded.send(sender=Order, order=order, fraction=share, now=now)
    badges_evaluate(member=_order_member(order), event="order.paid")
    if notify and (linked_now or newly_earning):
        _notify_points(_order_member(order), [order])
    return OrderReceipt(order=order, result=result)


@transaction.atomic
def orders_link_email(*, member: User, email: str, now: datetime | None = None) -> list[Order]:
    """Link the orders waiting for ``email`` (case-insensitive) to ``member``, who has just
    verified it, and award their points. Safe to call again: linked orders are skipped."""
    now = now or timezone.now()
    orders: list[Order] = list(
        Order.objects.select_for_update()
        .alias(email_ci=Lower("email"))
        .filter(email_ci=email.strip().lower(), member__isnull=True)
        .order_by("created_at", "pk")
    )
    if not orders:
        return []
    for order in orders:
        order.member = member
        order.updated_at = now
        order.save(update_fields=["member", "updated_at"])
        if not order.earns_points or order.status == Status.REFUNDED:
            continue
        _award(order, lines=list(order.lines.all()), now=now)
        share = _reverse_share(order, now=now)
        if share > 0:
            order_refunded.send(sender=Order, order=order, fraction=share, now=now)
    badges_evaluate(member=member, event="order.paid")
    _notify_points(member, orders)
    return orders


def order_points(*, order: Order) -> dict[str, int]:
    """The order's points net of refunds, by state: {"pending": n, "approved": n}."""
    source_type, source_id = source_key(order)
    State = PointEntry.State
    totals = PointEntry.objects.filter(source_type=source_type, source_id=source_id).aggregate(
        pending=Sum("amount", filter=Q(state=State.PENDING)),
        approved=Sum("amount", filter=Q(state=State.APPROVED)),
    )
    return {"pending": totals["pending"] or 0, "approved": totals["approved"] or 0}


__all__ = [
    "LineData",
    "OrderReceipt",
    "OrderRejected",
    "coupon_code_error",
    "order_message_repeats",
    "order_points",
    "order_receive",
    "orders_link_email",
    "refund_pending_stored",
    "refunded_share",
]
