"""Builders for lifecycle campaign tests: a message, the trigger's campaign, a shop order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from content.models import Product
from membership.campaigns.models import Campaign, MessageTemplate, MessageText, Segment
from membership.models import Order, User
from membership.services.orders import LineData, order_receive

_orders = count(1)


def message(key: str = "lifecycle-test") -> MessageTemplate:
    template, _created = MessageTemplate.objects.get_or_create(key=key, defaults={"name": key})
    MessageText.objects.get_or_create(
        message=template,
        language="en",
        defaults={
            "subject": "Hello {name}",
            "body": "<p>{product}{event}{points}{tier}{points_needed}{date}</p><p>{links}</p>",
        },
    )
    return template


def lifecycle(
    trigger: str, *, state: str = Campaign.State.LIVE, segment: Segment | None = None, **fields
) -> Campaign:
    """The trigger's one lifecycle campaign (the shipped default's row if a migration made it),
    with no holdout unless asked, so the tests see every member it enters."""
    values = {
        "name": f"Lifecycle {trigger}",
        "message": message(),
        "state": state,
        "segment": segment,
        "holdout_percent": 0,
        "delay_days": 0,
        "gift_points": 0,
        "gift_reward": None,
        "send_email": True,
        "send_in_app": True,
        **fields,
    }
    campaign, _created = Campaign.objects.update_or_create(
        kind=Campaign.Kind.LIFECYCLE, trigger=trigger, defaults=values
    )
    return campaign


def buy(
    member: User,
    products: list[Product],
    *,
    created_at: datetime | None = None,
    price: str = "40.00",
    status: str = Order.Status.PAID,
) -> Order:
    """A paid order of the products, through the orders service (the shop's webhook)."""
    return order_receive(
        external_id=f"lifecycle-{next(_orders)}-{member.pk}",
        email=member.email,
        status=status,
        currency="EUR",
        total=Decimal(price) * len(products),
        created_at=created_at or timezone.now(),
        lines=[LineData(sku=product.sku, quantity=1, price=Decimal(price)) for product in products],
        notify=False,
    ).order


def refund(order: Order) -> Order:
    return order_receive(
        external_id=order.external_id,
        email=order.email,
        status=Order.Status.REFUNDED,
        currency=order.currency,
        total=Decimal(0),
        refunded_total=order.original_total,
        created_at=order.created_at,
        lines=[],
        notify=False,
    ).order
