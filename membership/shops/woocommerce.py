"""WooCommerce: order webhooks as WooCommerce sends them (docs/shops.md).

WooCommerce signs the raw body: ``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of it
with the webhook's secret. ``X-WC-Webhook-Delivery-ID`` is a hash of the webhook and the
second it was sent, so two different orders sent by one webhook in one second share it: a
delivery is named by it *and* the body's digest. A new webhook first posts
``webhook_id=<id>`` (form data, unsigned) and is saved only if that answers 200.
Topics used: ``order.created``, ``order.updated`` (refunds arrive in ``refunds`` of the order).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

from django.utils.translation import gettext as _

from membership.services.order_import import OrderData
from membership.services.orders import LineData
from membership.shops.base import (
    Ignored,
    Interpretation,
    OrderUpdate,
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

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
# WooCommerce's own "paid" statuses (wc_get_is_paid_statuses); "refunded" once it was paid.
PAID = frozenset({"processing", "completed"})


class WooCommerceAdapter:
    platform: ClassVar[str] = "woocommerce"
    logged_headers: ClassVar[tuple[str, ...]] = (
        "X-WC-Webhook-Source",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Resource",
        "X-WC-Webhook-Event",
        "X-WC-Webhook-ID",
        "X-WC-Webhook-Delivery-ID",
    )

    def signature_valid(self, *, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        return signature_matches(base64_hmac_sha256(secret, body), headers.get("X-WC-Webhook-Signature"))

    def delivery_id(self, *, body: bytes, headers: Mapping[str, str]) -> str:
        hook, sent = header(headers, "X-WC-Webhook-ID", 16), header(headers, "X-WC-Webhook-Delivery-ID", 64)
        return f"{hook}:{sent}:{body_digest(body)}"

    def topic(self, headers: Mapping[str, str]) -> str:
        return header(headers, "X-WC-Webhook-Topic", 64)

    def shop_domain(self, headers: Mapping[str, str]) -> str:
        return header(headers, "X-WC-Webhook-Source", 255).lower().rstrip("/")

    def is_ping(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        if headers.get("X-WC-Webhook-Signature") or len(body) > 64:
            return False
        try:
            form = parse_qs(body.decode("ascii"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return False
        return list(form) == ["webhook_id"] and form["webhook_id"][0].isdigit()

    def interpret(self, *, topic: str, payload: Any) -> Interpretation:
        if topic not in ORDER_TOPICS:
            return Ignored(_("Kanta does not use the topic %(topic)s.") % {"topic": topic or "-"})
        order = obj(payload, "body")
        external_id = text(order, "id")
        state = text(order, "status", required=False)
        was_paid = bool(order.get("date_paid_gmt") or order.get("date_paid"))
        if state not in PAID and not (state in {"refunded", "cancelled"} and was_paid):
            return Ignored(_("Not paid (status %(status)s).") % {"status": state or "-"})
        billing: Mapping[str, Any] = order["billing"] if isinstance(order.get("billing"), Mapping) else {}
        email = text(billing, "email", "billing.email", required=False)
        if not email:
            return Ignored(_("No customer email: nobody to credit."))
        lines = []
        for index, raw in enumerate(items(order.get("line_items"), "line_items")):
            line = obj(raw, f"line_items.{index}")
            sku = text(line, "sku", required=False) or f"woocommerce-product-{line.get('product_id')}"
            lines.append(
                LineData(
                    sku=sku[:64],
                    quantity=quantity(line.get("quantity"), f"line_items.{index}.quantity"),
                    price=money(line.get("price"), f"line_items.{index}.price"),
                )
            )
        refunds = []
        for index, raw in enumerate(items(order.get("refunds"), "refunds")):
            refund = obj(raw, f"refunds.{index}")
            # WooCommerce lists refunds with a negative total.
            amount = -money(refund.get("total"), f"refunds.{index}.total")
            if amount > 0:
                refunds.append((text(refund, "id", f"refunds.{index}.id"), amount))
        paid = money(order.get("total"), "total")
        total = max(paid - sum((amount for _id, amount in refunds), Decimal("0.00")), Decimal("0.00"))
        if state in {"refunded", "cancelled"} or total == 0:
            status, total = "refunded", Decimal("0.00")
        elif refunds:
            status = "partially_refunded"
        else:
            status = "paid"
        created = order.get("date_created_gmt")
        codes = [
            text(obj(code, f"coupon_lines.{index}"), "code", f"coupon_lines.{index}.code")
            for index, code in enumerate(items(order.get("coupon_lines"), "coupon_lines"))
        ]
        order_data = OrderData(
            external_id=external_id[:64],
            email=email,
            status=status,
            currency=text(order, "currency").upper(),
            total=total,
            created_at=moment(created, "date_created_gmt", naive_is_utc=True),
            lines=lines,
            # WooCommerce keeps coupon codes in lower case; Kanta's are upper case.
            coupon_code=next(
                (kanta_coupon(code.upper()) for code in codes if kanta_coupon(code.upper())), ""
            ),
            refunded_total=sum((amount for _id, amount in refunds), Decimal("0.00")) or None,
        )
        return OrderUpdate(order=order_data, refunds=refunds)


# --- Coupons: the REST API (wc/v3) --------------------------------------------------------


class WooCommerceCoupons:
    """Coupons through WooCommerce's REST API, with a consumer key and secret (HTTP Basic,
    which WooCommerce accepts over HTTPS only)."""

    def __init__(self, *, site: str, key: str, secret: str) -> None:
        self.base = f"{site.rstrip('/')}/wp-json/wc/v3"
        self.auth = (key, secret)
        parts = urlsplit(site)
        # The key and secret travel in the clear over http; this machine's own address is
        # the only exception (a shop under development, the tests' fake).
        if parts.scheme != "https" and parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise ShopAPIError(f"WooCommerce's address must start with https:// ({site})", passing=False)

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = send(
            method, f"{self.base}{path}", auth=self.auth, headers={"Accept": "application/json"}, **kwargs
        )
        return response.status_code, json_body(response, "WooCommerce")

    def coupon_create(self, spec: CouponSpec) -> str:
        body: dict[str, Any] = {
            "code": spec.code,
            "description": spec.title,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "individual_use": False,
        }
        if spec.ends_at:
            body["date_expires_gmt"] = (
                spec.ends_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
            )
        if spec.kind == "shipping":
            body.update(discount_type="fixed_cart", amount="0", free_shipping=True)
        elif spec.kind == "product":
            status, found = self._call("GET", "/products", params={"sku": spec.product_sku})
            if status != 200 or not isinstance(found, list) or not found:
                raise ShopAPIError(
                    f"WooCommerce has no product with SKU {spec.product_sku} (HTTP {status})", passing=False
                )
            body.update(
                discount_type="percent", amount="100", product_ids=[found[0]["id"]], limit_usage_to_x_items=1
            )
        elif spec.kind == "percent":
            body.update(discount_type="percent", amount=str(spec.value))
        else:
            body.update(discount_type="fixed_cart", amount=str(spec.value))
        status, answer = self._call("POST", "/coupons", json=body)
        if status == 201 and isinstance(answer, dict) and answer.get("id"):
            return str(answer["id"])
        duplicate = (
            isinstance(answer, dict) and answer.get("code") == "woocommerce_rest_coupon_code_already_exists"
        )
        # A duplicate: an earlier try created it and its answer was lost.
        if duplicate and (existing := self._find(spec.code)):
            return existing
        raise ShopAPIError(
            f"WooCommerce refused the coupon: HTTP {status}: {json.dumps(answer)[:300]}", passing=False
        )

    def _find(self, code: str) -> str:
        status, found = self._call("GET", "/coupons", params={"code": code})
        if status == 200 and isinstance(found, list) and found and isinstance(found[0], dict):
            return str(found[0].get("id") or "")
        return ""

    def coupon_delete(self, *, code: str, external_id: str) -> None:
        external_id = external_id or self._find(code)
        if not external_id:
            return
        status, answer = self._call("DELETE", f"/coupons/{quote(external_id)}", params={"force": "true"})
        if status == 404 or status == 200:
            return
        raise ShopAPIError(
            f"WooCommerce refused to delete the coupon: HTTP {status}: {json.dumps(answer)[:300]}",
            passing=False,
        )
