"""Shopify: order webhooks as Shopify sends them (docs/shops.md).

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of it with
the app's client secret. ``X-Shopify-Webhook-Id`` names the delivery and stays the same on
every retry of it; ``X-Shopify-Topic`` says what happened. Topics used: ``orders/paid``,
``orders/updated``, ``orders/cancelled`` (an Order) and ``refunds/create`` (a Refund).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
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
from membership.shops.shop_api import CouponSpec, ShopAPIError, json_body, send

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


# --- Coupons: the Admin GraphQL API -----------------------------------------------------------

# The discount inputs' ``context`` (who may use it) replaced ``customerSelection`` in 2025-10.
API_VERSION = "2025-10"

_ID_AND_ERRORS = "codeDiscountNode { id } userErrors { field code message }"
CREATE_BASIC = (
    "mutation KantaCouponCreate($discount: DiscountCodeBasicInput!) "
    "{ discountCodeBasicCreate(basicCodeDiscount: $discount) { " + _ID_AND_ERRORS + " } }"
)
CREATE_FREE_SHIPPING = (
    "mutation KantaFreeShippingCreate($discount: DiscountCodeFreeShippingInput!) "
    "{ discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount) { " + _ID_AND_ERRORS + " } }"
)
FIND_CODE = "query KantaCouponFind($code: String!) { codeDiscountNodeByCode(code: $code) { id } }"
FIND_VARIANT = (
    "query KantaVariantBySku($query: String!) { productVariants(first: 1, query: $query) { nodes { id } } }"
)
DELETE = (
    "mutation KantaCouponDelete($id: ID!) "
    "{ discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }"
)


class ShopifyCoupons:
    """Discount codes through Shopify's Admin GraphQL API, with the app's access token."""

    def __init__(self, *, shop_domain: str, access_token: str) -> None:
        self.url = settings.KANTA_SHOPIFY_API_URL.format(shop=shop_domain, version=API_VERSION)
        self.access_token = access_token

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = send(
            "POST",
            self.url,
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self.access_token, "Accept": "application/json"},
        )
        if response.status_code != 200:
            # 401 a wrong token, 402 a frozen shop, 403 a missing scope, 404 no such shop.
            raise ShopAPIError(f"Shopify: HTTP {response.status_code}: {response.text[:300]}", passing=False)
        body = obj_or_error(json_body(response, "Shopify"))
        errors = body.get("errors")
        if errors:
            throttled = any(isinstance(error, dict) and _is_throttle(error) for error in errors)
            raise ShopAPIError(
                f"Shopify: {json.dumps(errors)[:300]}",
                passing=throttled,
                retry_after=_throttle_wait(body) if throttled else None,
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise ShopAPIError(f"Shopify: no data in {json.dumps(body)[:300]}", passing=True)
        return data

    def coupon_create(self, spec: CouponSpec) -> str:
        discount: dict[str, Any] = {
            "title": spec.title[:255],
            "code": spec.code,
            "startsAt": timezone.now().isoformat(),
            "endsAt": spec.ends_at.isoformat() if spec.ends_at else None,
            "context": {"all": "ALL"},
            "usageLimit": 1,
            "appliesOncePerCustomer": True,
        }
        if spec.kind == "shipping":
            query, field = CREATE_FREE_SHIPPING, "discountCodeFreeShippingCreate"
            discount["destination"] = {"all": True}
        else:
            query, field = CREATE_BASIC, "discountCodeBasicCreate"
            discount["customerGets"] = self._gets(spec)
        result = self._call(query, {"discount": discount}).get(field) or {}
        errors = result.get("userErrors") or []
        if any(error.get("code") == "TAKEN" for error in errors if isinstance(error, dict)):
            # An earlier try created it and its answer was lost.
            found = self._call(FIND_CODE, {"code": spec.code}).get("codeDiscountNodeByCode")
            if isinstance(found, dict) and found.get("id"):
                return str(found["id"])
        if errors or not (result.get("codeDiscountNode") or {}).get("id"):
            raise ShopAPIError(f"Shopify refused the discount: {json.dumps(errors)[:300]}", passing=False)
        return str(result["codeDiscountNode"]["id"])

    def _gets(self, spec: CouponSpec) -> dict[str, Any]:
        if spec.kind == "product":
            query = f'sku:"{spec.product_sku}"'
            nodes = (self._call(FIND_VARIANT, {"query": query}).get("productVariants") or {}).get("nodes")
            if not nodes:
                raise ShopAPIError(
                    f"Shopify has no product variant with SKU {spec.product_sku}", passing=False
                )
            # The whole price of that product off; Shopify's amount-off codes cannot cap the
            # quantity (docs/shops.md), the single use keeps it to one order.
            return {
                "value": {"percentage": 1.0},
                "items": {"products": {"productVariantsToAdd": [nodes[0]["id"]]}},
            }
        if spec.kind == "percent":
            return {"value": {"percentage": float(spec.value / 100)}, "items": {"all": True}}
        return {
            "value": {"discountAmount": {"amount": str(spec.value), "appliesOnEachItem": False}},
            "items": {"all": True},
        }

    def coupon_delete(self, *, code: str, external_id: str) -> None:
        if not external_id:
            found = self._call(FIND_CODE, {"code": code}).get("codeDiscountNodeByCode")
            if not isinstance(found, dict) or not found.get("id"):
                return
            external_id = str(found["id"])
        result = self._call(DELETE, {"id": external_id}).get("discountCodeDelete") or {}
        errors = [error for error in result.get("userErrors") or [] if isinstance(error, dict)]
        if errors and not result.get("deletedCodeDiscountId"):
            # Already gone is what we wanted.
            if all(
                error.get("code") in {"INVALID", "NOT_FOUND"} or "not exist" in str(error.get("message"))
                for error in errors
            ):
                return
            raise ShopAPIError(
                f"Shopify refused to delete the discount: {json.dumps(errors)[:300]}", passing=False
            )


def _is_throttle(error: dict[str, Any]) -> bool:
    # Shopify answers a throttled query with HTTP 200 and this error (older answers carry
    # only the message), or with HTTP 429 (membership/shops/shop_api.py).
    return (error.get("extensions") or {}).get("code") == "THROTTLED" or error.get("message") == "Throttled"


def obj_or_error(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ShopAPIError(f"Shopify: unexpected answer {str(body)[:300]}", passing=True)
    return body


def _throttle_wait(body: dict[str, Any]) -> float:
    """Seconds until the query's cost is back in the bucket (Shopify's leaky bucket)."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost", 0)) - float(status.get("currentlyAvailable", 0))
        return max(1.0, missing / max(float(status.get("restoreRate", 50)), 1.0))
    except (TypeError, ValueError):
        return 2.0
