"""Shopify: order webhooks as Shopify sends them (docs/shops.md).

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of it with
the app's client secret. ``X-Shopify-Webhook-Id`` names the delivery and stays the same on
every retry of it; ``X-Shopify-Topic`` says what happened. Topics used: ``orders/paid``,
``orders/updated``, ``orders/cancelled`` (an Order) and ``refunds/create`` (a Refund).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from membership.services.order_import import OrderData
from membership.services.orders import LineData
from membership.shops.base import (
    Ignored,
    Interpretation,
    OrderUpdate,
    RefundUpdate,
    base64_hmac_sha256,
    body_digest,
    header,
    items,
    kanta_coupon,
    moment,
    money,
    obj,
    quantity,
    signature_matches,
    text,
)

ORDER_TOPICS = frozenset({"orders/paid", "orders/updated", "orders/cancelled"})
REFUND_TOPIC = "refunds/create"
# financial_status → the order service's status; the others (pending, authorized,
# partially_paid, voided, expired) are orders nobody has paid for yet, or ever will.
PAID_STATES = {"paid": "paid", "partially_refunded": "partially_refunded", "refunded": "refunded"}


def _refund_amount(refund: Mapping[str, Any], path: str) -> Decimal:
    """What a refund gave back: its successful refund transactions."""
    amount = Decimal("0.00")
    for index, transaction in enumerate(items(refund.get("transactions"), f"{path}.transactions")):
        transaction = obj(transaction, f"{path}.transactions.{index}")
        if transaction.get("kind") == "refund" and transaction.get("status") == "success":
            amount += money(transaction.get("amount"), f"{path}.transactions.{index}.amount")
    return amount


class ShopifyAdapter:
    platform: ClassVar[str] = "shopify"
    logged_headers: ClassVar[tuple[str, ...]] = (
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-Triggered-At",
        "X-Shopify-API-Version",
    )

    def signature_valid(self, *, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        return signature_matches(base64_hmac_sha256(secret, body), headers.get("X-Shopify-Hmac-Sha256"))

    def delivery_id(self, *, body: bytes, headers: Mapping[str, str]) -> str:
        # Every documented delivery carries the id; the body's digest stands in otherwise.
        return header(headers, "X-Shopify-Webhook-Id", 160) or f"sha256:{body_digest(body)}"

    def topic(self, headers: Mapping[str, str]) -> str:
        return header(headers, "X-Shopify-Topic", 64)

    def shop_domain(self, headers: Mapping[str, str]) -> str:
        return header(headers, "X-Shopify-Shop-Domain", 255).lower()

    def is_ping(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        return False  # Shopify sends no ping: its test deliveries are ordinary, signed ones

    def interpret(self, *, topic: str, payload: Any) -> Interpretation:
        if topic == REFUND_TOPIC:
            return self._refund(obj(payload, "body"))
        if topic not in ORDER_TOPICS:
            return Ignored(_("Kanta does not use the topic %(topic)s.") % {"topic": topic or "-"})
        return self._order(obj(payload, "body"))

    def _refund(self, refund: Mapping[str, Any]) -> Interpretation:
        return RefundUpdate(
            order_external_id=text(refund, "order_id"),
            refund_id=text(refund, "id"),
            amount=_refund_amount(refund, "body"),
        )

    def _order(self, order: Mapping[str, Any]) -> Interpretation:
        external_id = text(order, "id")
        if order.get("test") is True:
            return Ignored(_("A test order: it earns nothing."))
        financial = text(order, "financial_status", required=False)
        status = PAID_STATES.get(financial)
        if status is None:
            return Ignored(_("Not paid (financial status %(status)s).") % {"status": financial or "-"})
        customer: Mapping[str, Any] = order["customer"] if isinstance(order.get("customer"), Mapping) else {}
        email = (
            text(order, "email", required=False)
            or text(order, "contact_email", required=False)
            or text(customer, "email", "customer.email", required=False)
        )
        if not email:
            return Ignored(_("No customer email (a point-of-sale or guest order): nobody to credit."))
        lines = []
        for index, raw in enumerate(items(order.get("line_items"), "line_items")):
            line = obj(raw, f"line_items.{index}")
            # A product without a SKU is still a line; it matches no product in Kanta.
            sku = (
                text(line, "sku", required=False)
                or f"shopify-variant-{line.get('variant_id') or line.get('id')}"
            )
            lines.append(
                LineData(
                    sku=sku[:64],
                    quantity=quantity(line.get("quantity"), f"line_items.{index}.quantity"),
                    price=money(line.get("price"), f"line_items.{index}.price"),
                )
            )
        refunds = [
            (text(obj(refund, f"refunds.{index}"), "id", f"refunds.{index}.id"), amount)
            for index, refund in enumerate(items(order.get("refunds"), "refunds"))
            if (amount := _refund_amount(obj(refund, f"refunds.{index}"), f"refunds.{index}"))
        ]
        # What the customer still pays: Shopify's current total reflects refunds and edits.
        total = money(order.get("current_total_price", order.get("total_price")), "current_total_price")
        if status == "refunded" or total <= 0:
            status, total = "refunded", Decimal("0.00")
        codes = [
            text(obj(code, f"discount_codes.{index}"), "code", f"discount_codes.{index}.code")
            for index, code in enumerate(items(order.get("discount_codes"), "discount_codes"))
        ]
        order_data = OrderData(
            external_id=external_id[:64],
            email=email,
            status=status,
            currency=text(order, "currency").upper(),
            total=total,
            created_at=moment(order.get("created_at"), "created_at"),
            lines=lines,
            coupon_code=next((kanta_coupon(code) for code in codes if kanta_coupon(code)), ""),
            refunded_total=sum((amount for _id, amount in refunds), Decimal("0.00")) or None,
        )
        return OrderUpdate(order=order_data, refunds=refunds)
