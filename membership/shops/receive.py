"""Receiving a platform's webhook delivery: the same steps for every platform.

1. The shop: the active connection whose address the delivery names, else the secret in the
   environment (``KANTA_SHOPIFY_SECRET``, ``KANTA_WOOCOMMERCE_SECRET``) for a deployment with
   one shop. 2. The signature, over the raw body: a bad one is answered 401 and logged
   without its body. 3. The delivery id: a delivery already taken is answered 200
   ("duplicate") and changes nothing. 4. The payload, read by the platform's adapter into
   the order service's terms (membership/services/orders.py), applied in the same
   transaction as the delivery's log row: a malformed payload or one the order service
   refuses is answered 400 with the errors and stores nothing but the log row.

Answers follow what the platforms expect: any 2xx is taken, and a retry of a delivery that
was answered 400 is answered 200 as a duplicate (its log row says why it was refused), so a
platform does not retry it for hours or disable the webhook.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from membership.models import Order, Redemption
from membership.services.coupons import (
    CouponAlreadyUsed,
    CouponInvalid,
    CouponNotFound,
    coupon_normalise,
    coupon_use,
)
from membership.services.orders import LineData, OrderRejected, order_receive
from membership.shops.base import Ignored, OrderUpdate, PayloadError, RefundUpdate, ShopAdapter
from membership.shops.models import ShopConnection, ShopDelivery, ShopRefund
from membership.shops.shopify import ShopifyAdapter
from membership.shops.woocommerce import WooCommerceAdapter

logger = logging.getLogger(__name__)

ADAPTERS: dict[str, ShopAdapter] = {
    adapter.platform: adapter for adapter in (ShopifyAdapter(), WooCommerceAdapter())
}
ENV_SECRETS = {"shopify": "KANTA_SHOPIFY_SECRET", "woocommerce": "KANTA_WOOCOMMERCE_SECRET"}

Outcome = ShopDelivery.Outcome


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class UnknownPlatform(Exception):
    pass


def adapter_for(platform: str) -> ShopAdapter:
    try:
        return ADAPTERS[platform]
    except KeyError:
        raise UnknownPlatform(platform) from None


def _secret(adapter: ShopAdapter, domain: str) -> tuple[ShopConnection | None, str]:
    connection = (
        ShopConnection.objects.filter(
            platform=adapter.platform, shop_domain__iexact=domain, active=True
        ).first()
        if domain
        else None
    )
    if connection is not None:
        return connection, connection.webhook_secret
    return None, getattr(settings, ENV_SECRETS[adapter.platform], "") or ""


def _headers(adapter: ShopAdapter, headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name][:200] for name in adapter.logged_headers if headers.get(name)}


def webhook_receive(
    *, platform: str, body: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> Answer:
    """Verify, deduplicate, log and apply one delivery; the answer for the platform."""
    now = now or timezone.now()
    adapter = adapter_for(platform)
    domain = adapter.shop_domain(headers)
    topic = adapter.topic(headers)
    logged = {"headers": _headers(adapter, headers), "bytes": len(body)}
    if adapter.is_ping(body=body, headers=headers):
        ShopDelivery.objects.create(
            platform=platform,
            shop_domain=domain,
            topic="ping",
            outcome=Outcome.PING,
            detail=logged,
            received_at=now,
        )
        return Answer(200, {"result": "ping"})
    connection, secret = _secret(adapter, domain)
    if not secret or not adapter.signature_valid(body=body, headers=headers, secret=secret):
        reason = "no_shop" if not secret else "bad_signature"
        ShopDelivery.objects.create(
            platform=platform,
            connection=connection,
            shop_domain=domain,
            topic=topic,
            outcome=Outcome.UNAUTHORIZED,
            detail={**logged, "reason": reason},
            received_at=now,
        )
        message = (
            _("No shop is set up for this address.")
            if not secret
            else _("The signature does not match the body and the shop's secret.")
        )
        return Answer(401, {"error": "unauthorized", "message": message})
    delivery_id = adapter.delivery_id(body=body, headers=headers)
    # One transaction: the log row claims the delivery id and the order changes with it, so
    # a failure half-way (the database going away) leaves neither and the platform's retry
    # is processed afresh, not answered as a duplicate of nothing.
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = ShopDelivery.objects.create(
                    platform=platform,
                    connection=connection,
                    shop_domain=domain,
                    delivery_id=delivery_id,
                    topic=topic,
                    verified=True,
                    body=body.decode("utf-8", errors="replace"),
                    outcome=Outcome.IGNORED,
                    detail=logged,
                    received_at=now,
                )
        except IntegrityError:
            delivery = None  # taken: by an earlier delivery, or by the same one just now
        if delivery is not None:
            return _process(adapter, delivery, now=now)
    _repeat(platform, delivery_id, now)
    return Answer(200, {"result": "duplicate"})


def _repeat(platform: str, delivery_id: str, now: datetime) -> bool:
    return bool(
        ShopDelivery.objects.filter(platform=platform, delivery_id=delivery_id, verified=True).update(
            repeats=F("repeats") + 1, last_repeat_at=now
        )
    )


def delivery_replay(*, delivery: ShopDelivery, now: datetime | None = None) -> Answer:
    """Apply a logged, verified delivery again (from the admin): after a fix to the catalogue
    or the code, or to see the same outcome. Idempotent like the order service."""
    if not delivery.verified:
        raise ValueError("only a verified delivery can be replayed")
    now = now or timezone.now()
    ShopDelivery.objects.filter(pk=delivery.pk).update(replays=F("replays") + 1, replayed_at=now)
    delivery.refresh_from_db()
    return _process(adapter_for(delivery.platform), delivery, now=now)


def _process(adapter: ShopAdapter, delivery: ShopDelivery, *, now: datetime) -> Answer:
    headers = {"headers": delivery.detail.get("headers", {}), "bytes": delivery.detail.get("bytes")}
    try:
        payload = json.loads(delivery.body)
    except json.JSONDecodeError:
        errors = {"body": [_("The body is not JSON.")]}
        _record(delivery, Outcome.INVALID, {**headers, "errors": errors}, "")
        return Answer(400, {"error": "invalid", "message": _("The payload has errors."), "errors": errors})
    try:
        # A savepoint: a refused payload undoes its order changes, not its log row.
        with transaction.atomic():
            meaning = adapter.interpret(topic=delivery.topic, payload=payload)
            outcome, detail, order_id = _apply(adapter.platform, meaning, now=now)
    except PayloadError as exc:
        errors = exc.errors
        _record(delivery, Outcome.INVALID, {**headers, "errors": errors}, "")
        return Answer(400, {"error": "invalid", "message": _("The payload has errors."), "errors": errors})
    except OrderRejected as exc:
        _record(delivery, Outcome.REJECTED, {**headers, "errors": exc.errors}, "")
        return Answer(
            400, {"error": "invalid", "message": _("The order cannot be accepted."), "errors": exc.errors}
        )
    _record(delivery, outcome, {**headers, **detail}, order_id)
    return Answer(200, {"result": outcome, **detail})


def _record(delivery: ShopDelivery, outcome: str, detail: dict[str, Any], order_id: str) -> None:
    delivery.outcome, delivery.detail, delivery.order_external_id = outcome, detail, order_id
    delivery.save(update_fields=["outcome", "detail", "order_external_id"])


def _apply(platform: str, meaning: OrderUpdate | RefundUpdate | Ignored, *, now: datetime):
    if isinstance(meaning, Ignored):
        return Outcome.IGNORED, {"reason": meaning.reason}, ""
    if isinstance(meaning, RefundUpdate):
        return _apply_refund(platform, meaning, now=now)
    order = meaning.order
    for refund_id, amount in meaning.refunds:
        _refund_record(platform, order.external_id, refund_id, amount)
    receipt = order_receive(**order.receive_kwargs(), now=now)
    outcome, detail, order_id = _receipt(receipt)
    if order.coupon_code and receipt.result == "created":
        detail["coupon"] = _coupon_used(order.coupon_code, now=now)
    return outcome, detail, order_id


def _coupon_used(code: str, *, now: datetime) -> str:
    """A Kanta coupon the customer used at the shop's checkout is used, as if the shop had
    called the coupon API: the order's first message says so (the platform's own
    discount codes are not Kanta's, and are only stored with the order)."""
    if not Redemption.objects.filter(coupon_code=coupon_normalise(code)).exists():
        return "not_kanta"  # one read, not coupon_use's locked one and its savepoint
    try:
        coupon_use(code=code, now=now)
    except CouponNotFound:
        return "not_kanta"
    except CouponAlreadyUsed:
        return "already_used"
    except CouponInvalid:
        return "invalid"
    return "used"


def _receipt(receipt) -> tuple[str, dict[str, Any], str]:
    outcome = Outcome.APPLIED if receipt.result in {"created", "updated"} else Outcome.UNCHANGED
    order = receipt.order
    return (
        outcome,
        {"order": order.external_id, "status": order.status, "order_result": receipt.result},
        order.external_id,
    )


def _refund_record(platform: str, order_id: str, refund_id: str, amount: Decimal) -> None:
    ShopRefund.objects.get_or_create(
        platform=platform, refund_id=refund_id, defaults={"order_external_id": order_id, "amount": amount}
    )


def _apply_refund(platform: str, refund: RefundUpdate, *, now: datetime):
    """A refund told on its own: the order as stored, less every distinct refund known."""
    if refund.amount > 0:
        _refund_record(platform, refund.order_external_id, refund.refund_id, refund.amount)
    order = Order.objects.filter(external_id=refund.order_external_id).first()
    if order is None:
        reason = _("The order has not arrived yet; its next update carries the refund.")
        return Outcome.IGNORED, {"reason": reason}, refund.order_external_id
    refunded = ShopRefund.objects.filter(platform=platform, order_external_id=order.external_id).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    total = max(order.original_total - refunded, Decimal("0.00"))
    receipt = order_receive(
        external_id=order.external_id,
        email=order.email,
        status="refunded" if total == 0 else ("partially_refunded" if refunded else order.status),
        currency=order.currency,
        total=total,
        created_at=order.created_at,
        lines=[
            LineData(sku=line.sku, quantity=line.quantity, price=line.price) for line in order.lines.all()
        ],
        coupon_code=order.coupon_code,
        now=now,
    )
    return _receipt(receipt)
