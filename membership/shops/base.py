"""The one interface every shop platform's adapter implements (docs/shops.md, "Adding a
platform"): how a delivery is signed and named, and what its payload means for Kanta's
order service (membership/services/orders.py). Adapters read and translate only; storing,
deduplicating and answering are membership/shops/receive.py's, the same for every platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from django.utils.translation import gettext as _

from membership.services.order_import import OrderData
from membership.services.orders import coupon_code_error


class PayloadError(Exception):
    """The payload is not what the platform documents: field path → messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {' '.join(map(str, msgs))}" for key, msgs in errors.items()))


@dataclass(frozen=True)
class OrderUpdate:
    """What an order message says: the order in the order service's terms (the same record
    an import of history uses), and every refund it lists, recorded before the order."""

    order: OrderData
    refunds: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass(frozen=True)
class RefundUpdate:
    """One refund of an order, told on its own (Shopify's refunds/create)."""

    order_external_id: str
    refund_id: str
    amount: Decimal


@dataclass(frozen=True)
class Ignored:
    """Nothing for Kanta in this delivery (a topic it does not use, an unpaid order…)."""

    reason: str


Interpretation = OrderUpdate | RefundUpdate | Ignored


class ShopAdapter(Protocol):
    platform: ClassVar[str]
    # The headers logged with each delivery (the signature header never is).
    logged_headers: ClassVar[tuple[str, ...]]

    def signature_valid(self, *, body: bytes, headers: Mapping[str, str], secret: str) -> bool: ...

    def delivery_id(self, *, body: bytes, headers: Mapping[str, str]) -> str: ...

    def topic(self, headers: Mapping[str, str]) -> str: ...

    def shop_domain(self, headers: Mapping[str, str]) -> str: ...

    def is_ping(self, *, body: bytes, headers: Mapping[str, str]) -> bool: ...

    def interpret(self, *, topic: str, payload: Any) -> Interpretation: ...


# --- helpers the adapters share ---------------------------------------------------------------


def header(headers: Mapping[str, str], name: str, limit: int) -> str:
    return (headers.get(name) or "").strip()[:limit]


def base64_hmac_sha256(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").strip().encode())


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def money(value: Any, path: str) -> Decimal:
    """A price as the platforms send it (a string, or a JSON number for some fields)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError({path: [_("Expected an amount.")]})
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError({path: [_("Expected an amount.")]}) from None
    if not amount.is_finite():
        raise PayloadError({path: [_("Expected an amount.")]})
    return amount.quantize(Decimal("0.01"))


def text(payload: Mapping[str, Any], key: str, path: str = "", *, required: bool = True) -> str:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError({path or key: [_("This field is required.")]})
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError({path or key: [_("Expected text.")]})
    return str(value).strip()


def obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError({path: [_("Expected an object.")]})
    return value


def items(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError({path: [_("Expected a list.")]})
    return value


def moment(value: Any, path: str, *, naive_is_utc: bool = False) -> datetime:
    """An ISO 8601 time; with ``naive_is_utc`` one without an offset is UTC (WooCommerce's
    ``*_gmt`` fields)."""
    if not isinstance(value, str) or not value:
        raise PayloadError({path: [_("Expected a date and time.")]})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError({path: [_("Expected a date and time.")]}) from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise PayloadError({path: [_("Expected a date and time with an offset.")]})
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def quantity(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PayloadError({path: [_("Expected a whole number of at least 1.")]})
    return value


def kanta_coupon(code: str) -> str:
    """The order's coupon as the order service stores it: a code the shop's own discount
    codes may not fit (spaces, length) is left out rather than refusing the order; Kanta's
    codes always fit."""
    return code if code and not coupon_code_error(code) else ""
