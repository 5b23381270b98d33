"""Builders for referral tests, through the real services (links, visits, sign-up
attribution, the orders service)."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from membership.devices import ip_hash
from membership.models import Order, Referral, User
from membership.services.orders import LineData, order_receive
from membership.services.referrals import (
    referral_attribute,
    referral_link_get_or_create,
    referral_visit_record,
)
from tests.factories import make_member

_order_ids = itertools.count(1)


def refer(
    referrer: User,
    friend: str | User,
    *,
    email: str | None = None,
    now: datetime,
    device_id: str = "",
    ip: str = "",
) -> Referral | None:
    """``friend`` (a new member named so, or an existing user) follows ``referrer``'s link
    and signs up at ``now``."""
    link = referral_link_get_or_create(member=referrer)
    visit = referral_visit_record(link=link, device_id=device_id, ip_hash=ip_hash(ip), now=now)
    if isinstance(friend, str):
        friend = make_member(friend, email=email)
    return referral_attribute(
        friend=friend, code=link.code, visit_id=visit.pk, device_id=device_id, ip_hash=ip_hash(ip), now=now
    )


def pay(email: str, total: str | Decimal, *, now: datetime, created_at: datetime | None = None) -> Order:
    """The shop reports a paid order from ``email``."""
    total = Decimal(total)
    receipt = order_receive(
        external_id=f"R-{next(_order_ids)}",
        email=email,
        status=Order.Status.PAID,
        currency="EUR",
        total=total,
        created_at=created_at or now,
        lines=[LineData(sku="TYRE-1", quantity=1, price=total)],
        now=now,
    )
    return receipt.order


def refund(order: Order, *, left: str | Decimal, now: datetime) -> Order:
    """The shop reports a refund leaving ``left`` to pay."""
    left = Decimal(left)
    order_receive(
        external_id=order.external_id,
        email=order.email,
        status=Order.Status.REFUNDED if left == 0 else Order.Status.PARTIALLY_REFUNDED,
        currency=order.currency,
        total=left,
        created_at=order.created_at,
        lines=[],
        now=now,
    )
    order.refresh_from_db()
    return order
