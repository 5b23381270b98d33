"""Orders in bulk (``import_orders``, the demo's history): the stored result of calling
``order_receive(..., notify=False)`` for each order in turn, in a few dozen queries per batch
(and a few for each badge level or tier it awards) instead of about twenty per order.

Orders are taken in batches of ``batch_size``, each in one transaction. Within a batch, a
run of orders new to Kanta is written at once: the orders and their lines inserted in bulk,
members matched by verified email in one query, the purchase points granted through
``points_grant_many`` (the same entries, caps, multipliers and tiers as one award after the
other), and the badges evaluated once for the members with a paid order in the run (a badge
level, once reached, stays reached, so once at the end awards what each order would have).

Everything else goes through ``order_receive`` itself, in its place in the sequence (the
run before it is written first, so nothing overtakes it):

- an order already stored (a refund, the paid message of an order first seen refunded),
  unless the message only repeats it and there is nobody new to link it to: that is
  counted ``unchanged`` without a write, as ``order_receive`` would answer;
- a second message about an order within the batch;
- a paid order of at least the referral minimum from a friend whose referral awaits an
  order: it may qualify the referral (``order_paid`` → ``referral_order_paid``);
- an email with characters other than ASCII, so the database's own case-insensitive
  comparison matches it, as for the webhook.

- a paid order of a member placed recently enough for the after-purchase campaign, while it
  is on (``order_paid`` → the campaign's receiver; ``after_purchase_cutoff``).

``order_paid`` is therefore not sent for orders of the bulk runs: its receivers, referral
qualification and the after-purchase campaign, do nothing for them (checked above). A test
fails when another receiver is connected, so whoever adds one decides how these runs serve it. New orders
never send ``order_refunded`` (an order first seen refunded earns nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from ..campaigns.lifecycle import after_purchase_cutoff
from ..models import Order, OrderLine, User
from .badges import badges_evaluate_many
from .orders import (
    LineData,
    OrderRejected,
    Result,
    Status,
    _check,
    _lines_new,
    _order_member,
    _order_new,
    _products,
    _purchase_grants,
    order_message_repeats,
    order_receive,
)
from .points import points_grant_many
from .referrals import min_order, referral_friends_awaiting_order


@dataclass(frozen=True)
class OrderData:
    """One order as the shop reports it: the keyword arguments of ``order_receive``."""

    external_id: str
    email: str
    status: str
    currency: str
    total: Decimal
    created_at: datetime
    lines: Sequence[LineData]
    referral_code: str = ""
    coupon_code: str = ""
    refunded_total: Decimal | None = None
    refund_pending: bool = False

    def receive_kwargs(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    stale: int
    rejected: list[tuple[str, dict[str, list[str]]]]  # (external_id, errors by field)

    def count(self, result: Result, number: int = 1) -> None:
        setattr(self, result, getattr(self, result) + number)

    def add(self, other: ImportResult) -> None:
        for result in ("created", "updated", "unchanged", "stale"):
            self.count(result, getattr(other, result))
        self.rejected.extend(other.rejected)


def orders_import(
    *,
    orders: Sequence[OrderData],
    now: datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Store ``orders`` as ``order_receive`` would, one after the other (``notify=False``).
    Each batch is atomic; a rejected order (its errors in ``rejected``) stops nothing else.
    ``progress(done, total)`` is called after each batch."""
    now = now or timezone.now()
    result = ImportResult(created=0, updated=0, unchanged=0, stale=0, rejected=[])
    total = len(orders)
    for start in range(0, total, batch_size):
        with transaction.atomic():
            batch = _batch_import(orders[start : start + batch_size], now=now)
        result.add(batch)
        if progress is not None:
            progress(min(start + batch_size, total), total)
    return result


def _email_key(email: str) -> str | None:
    """The address as the bulk match compares it (lower case), or None when it is not ASCII:
    case rules beyond ASCII differ between Python and the databases."""
    email = email.strip()
    return email.lower() if email.isascii() else None


def _verified_members(emails: set[str]) -> dict[str, User]:
    """{lower-case email: member} for the addresses a member has verified, chosen as
    ``_verified_member`` chooses (their primary address first, then the oldest)."""
    from allauth.account.models import EmailAddress

    if not emails:
        return {}
    addresses = (
        EmailAddress.objects.alias(email_ci=Lower("email"))
        .filter(email_ci__in=emails, verified=True, user__is_active=True)
        .select_related("user")
        .order_by("-primary", "pk")
    )
    found: dict[str, User] = {}
    for address in addresses:
        found.setdefault(address.email.lower(), address.user)
    return found


def _batch_import(orders: Sequence[OrderData], *, now: datetime) -> ImportResult:
    result = ImportResult(created=0, updated=0, unchanged=0, stale=0, rejected=[])
    refused: dict[int, dict[str, list[str]]] = {}  # by position, so rejections keep their place
    for index, data in enumerate(orders):
        try:
            _check(
                status=data.status,
                total=data.total,
                refunded_total=data.refunded_total,
                lines=data.lines,
                coupon_code=data.coupon_code,
            )
        except OrderRejected as exc:
            refused[index] = exc.errors
    valid = [data for index, data in enumerate(orders) if index not in refused]
    stored = {
        order.external_id: order
        for order in Order.objects.select_for_update().filter(external_id__in={d.external_id for d in valid})
    }
    emails = {_email_key(data.email) for data in valid}
    emails |= {_email_key(order.email) for order in stored.values() if order.member_id is None}
    members = _verified_members({email for email in emails if email is not None})
    awaiting = (
        referral_friends_awaiting_order(member_ids={m.pk for m in members.values()}) if members else set()
    )
    minimum = min_order()
    greeted_since = after_purchase_cutoff(now=now)

    run: list[OrderData] = []
    seen: set[str] = set()  # ids reported earlier in this batch (the stored rows may be stale)
    for index, data in enumerate(orders):
        if index in refused:
            result.rejected.append((data.external_id, refused[index]))
            continue
        order = stored.get(data.external_id)
        fresh = data.external_id not in seen
        if order is not None and fresh and _repeats(order, data, members):
            result.unchanged += 1
            continue
        key = _email_key(data.email)
        member = members.get(key) if key else None
        if (
            order is None
            and fresh
            and key is not None
            and not _may_qualify(data, member, awaiting, minimum)
            and not _greeted(data, member, greeted_since)
        ):
            run.append(data)
            seen.add(data.external_id)
            continue
        _run_write(run, members=members, now=now, result=result)
        run = []
        seen.add(data.external_id)
        try:
            receipt = order_receive(**data.receive_kwargs(), now=now, notify=False)
        except OrderRejected as exc:
            result.rejected.append((data.external_id, exc.errors))
        else:
            result.count(receipt.result)
    _run_write(run, members=members, now=now, result=result)
    return result


def _repeats(order: Order, data: OrderData, members: dict[str, User]) -> bool:
    if not order_message_repeats(
        order,
        status=data.status,
        currency=data.currency,
        total=data.total,
        coupon_code=data.coupon_code,
        refund_pending=data.refund_pending,
    ):
        return False
    if order.member_id is not None:
        return True
    key = _email_key(order.email)
    return key is not None and key not in members  # else order_receive links it now


def _may_qualify(data: OrderData, member: User | None, awaiting: set[int], minimum: Decimal) -> bool:
    """Whether the order could change its member's referral (``referral_order_paid``)."""
    return (
        member is not None and member.pk in awaiting and data.status == Status.PAID and data.total >= minimum
    )


def _greeted(data: OrderData, member: User | None, since: datetime | None) -> bool:
    """Whether the after-purchase campaign would greet the order (``after_purchase_enter``)."""
    return (
        member is not None and since is not None and data.status == Status.PAID and data.created_at >= since
    )


def _run_write(
    run: list[OrderData], *, members: dict[str, User], now: datetime, result: ImportResult
) -> None:
    """Store a run of new orders at once, as ``order_receive`` would one after the other."""
    if not run:
        return
    built = [
        _order_new(
            external_id=data.external_id,
            email=data.email.strip(),
            member=members.get(data.email.strip().lower()),
            status=data.status,
            currency=data.currency,
            total=data.total,
            refunded_total=data.refunded_total,
            created_at=data.created_at,
            referral_code=data.referral_code,
            coupon_code=data.coupon_code,
            refund_pending=data.refund_pending,
            now=now,
        )
        for data in run
    ]
    try:
        with transaction.atomic():
            orders = Order.objects.bulk_create(built)
    except IntegrityError:
        # The webhook stored one of these orders meanwhile: take them one at a time.
        for data in run:
            try:
                receipt = order_receive(**data.receive_kwargs(), now=now, notify=False)
            except OrderRejected as exc:
                result.rejected.append((data.external_id, exc.errors))
            else:
                result.count(receipt.result)
        return
    products = _products({line.sku for data in run for line in data.lines})
    lines = [_lines_new(order, data.lines, products) for order, data in zip(orders, run, strict=True)]
    OrderLine.objects.bulk_create([line for order_lines in lines for line in order_lines])
    grants = []
    paid: dict[int, User] = {}
    for order, order_lines in zip(orders, lines, strict=True):
        if order.member_id and order.earns_points:
            grants += _purchase_grants(order, order_lines, now=now)
            paid.setdefault(order.member_id, _order_member(order))
    points_grant_many(grants=grants)
    badges_evaluate_many(members=list(paid.values()), event="order.paid")
    result.created += len(orders)


__all__ = ["ImportResult", "LineData", "OrderData", "orders_import"]
