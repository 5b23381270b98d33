"""The shapes of the shop API (``/api/v1/``): what the shop sends and what it gets back.

The order payload is shared by the webhook and ``import_orders``, so a row that the import
rejects gets the same field errors the webhook would answer with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, field_validator

from .services.orders import COUPON_CODE_LENGTH, LineData, coupon_code_error

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text outright (a 500 on the insert), and no id, SKU, code or
    # address has a line break or another control character in it: refuse them all here.
    if _CONTROL.search(value):
        raise ValueError(_("Remove the control characters (such as NUL) from this field."))
    return value


# Every text the shop sends is of this type, so no control character reaches a query.
Text = Annotated[str, AfterValidator(_no_control_characters)]
CouponCode = Annotated[Text, pydantic.Field(max_length=64, description="The coupon code, any case.")]


# What the shop sends is validated by plain pydantic models: ninja's Schema reads every field
# through its ORM-aware getter, two thirds of the time it takes to check an order (it adds
# up in import_orders), and a JSON body needs none of it. The OpenAPI output is the same.
class OrderLineIn(pydantic.BaseModel):
    sku: Text = Field(min_length=1, max_length=64, description="The product's SKU in the shop.")
    quantity: int = Field(ge=1, le=100_000, description="How many were ordered.")
    price: Decimal = Field(
        ge=0, max_digits=12, decimal_places=2, description="Unit price paid, tax included."
    )

    @field_validator("sku", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class OrderIn(pydantic.BaseModel):
    id: Text = Field(
        min_length=1, max_length=64, description="The shop's order id; messages are idempotent by it."
    )
    email: Text = Field(
        max_length=254, description="The customer's email; matched to a verified member address."
    )
    status: Literal["paid", "partially_refunded", "refunded"]
    currency: Text = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")
    total: Decimal = Field(
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="What the customer still pays after refunds (0 when refunded).",
    )
    refunded_total: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="Optional. Refunded so far; only used when the first message about an order is a refund.",
    )
    created_at: AwareDatetime = Field(description="When the order was placed, ISO 8601 with an offset.")
    referral_code: Text = Field(
        default="", max_length=32, description="Optional referral code used at checkout."
    )
    coupon_code: Text = Field(
        default="",
        max_length=COUPON_CODE_LENGTH,
        description="Optional. The coupon code the customer used (a Kanta coupon such as "
        "POLKU-ABCD-EFGH, or the shop's own): letters, digits, - and _, any case. Stored with "
        "the order's first message; a later message may leave it out but not change it.",
    )
    # Strict: JSON true or false only, so a quoted "false" is an error rather than a guess.
    refund_pending: bool = Field(
        default=False,
        strict=True,
        description="Optional, default false. true while a refund is requested and not yet "
        "settled (Kanta sends the member no marketing meanwhile). Each message states it anew: "
        "a later message with false, or without it (e.g. the refund applied), clears it; a "
        "refunded order is never pending.",
    )
    lines: list[OrderLineIn] = Field(max_length=1000, description="The lines as ordered.")

    @field_validator("id", "email", "referral_code", "coupon_code", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid email address.")) from exc
        return value

    @field_validator("coupon_code")
    @classmethod
    def _coupon_code(cls, value: str) -> str:
        if message := coupon_code_error(value):
            raise ValueError(message)
        return value

    def service_kwargs(self) -> dict:
        """Keyword arguments for ``membership.services.orders.order_receive``."""
        return {
            "external_id": self.id,
            "email": self.email,
            "status": self.status,
            "currency": self.currency,
            "total": self.total,
            "refunded_total": self.refunded_total,
            "created_at": self.created_at,
            "referral_code": self.referral_code,
            "coupon_code": self.coupon_code,
            "refund_pending": self.refund_pending,
            "lines": [
                LineData(sku=line.sku, quantity=line.quantity, price=line.price) for line in self.lines
            ],
        }


class OrderPointsOut(Schema):
    pending: int = Field(description="Points of this order still in the return window.")
    approved: int = Field(description="Points of this order the member can spend.")


class OrderOut(Schema):
    id: str
    result: Literal["created", "updated", "unchanged", "stale"] = Field(
        description="stale: an older state than the one stored; nothing changed."
    )
    status: str
    total: Decimal
    original_total: Decimal
    linked: bool = Field(description="Whether the order belongs to a member (else it waits for the email).")
    earns_points: bool
    points: OrderPointsOut


class CouponOut(Schema):
    code: str
    valid: bool = Field(description="Unused, not voided, not expired, and its member still active.")
    used: bool
    used_at: datetime | None
    reward: str
    kind: Literal["fixed", "percent", "shipping", "product"]
    value: Decimal = Field(description="Currency units off (fixed) or percent off (percent); else 0.")
    product_sku: str | None = Field(description="For a free product: its SKU.")
    created_at: datetime
    expires_at: datetime | None = Field(
        description="When the coupon stops being valid (gifted coupons); null: it never expires."
    )


class ErrorOut(Schema):
    error: str = Field(
        description="A stable code: invalid, unauthorized, not_found, already_used, expired, too_large, …"
    )
    reason: str | None = Field(
        default=None,
        description="For error=unauthorized: missing, malformed, expired, bad_signature or replayed.",
    )
    message: str = ""
    errors: dict[str, list[str]] | None = Field(
        default=None, description="For error=invalid: messages by field path, e.g. lines.0.quantity."
    )
    used_at: datetime | None = None
    expires_at: datetime | None = Field(default=None, description="For error=expired: when it expired.")


# Messages for pydantic's error types, so the shop reads the same words in every language
# Kanta speaks (pydantic's own messages are English only). Unlisted types keep pydantic's.
def _message(error: Mapping[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    messages = {
        "missing": lambda: _("This field is required."),
        "greater_than_equal": lambda: (
            _("Ensure this value is at least %(limit)s.") % {"limit": ctx.get("ge")}
        ),
        "greater_than": lambda: _("Ensure this value is greater than %(limit)s.") % {"limit": ctx.get("gt")},
        "less_than_equal": lambda: _("Ensure this value is at most %(limit)s.") % {"limit": ctx.get("le")},
        "int_parsing": lambda: _("Enter a whole number."),
        "int_type": lambda: _("Enter a whole number."),
        "int_from_float": lambda: _("Enter a whole number."),
        "decimal_parsing": lambda: _("Enter a number."),
        "decimal_type": lambda: _("Enter a number."),
        "decimal_max_places": lambda: (
            _("Use at most %(places)s decimal places.") % {"places": ctx.get("decimal_places")}
        ),
        "decimal_max_digits": lambda: _("Use at most %(digits)s digits.") % {"digits": ctx.get("max_digits")},
        "datetime_parsing": lambda: _("Enter a date and time in ISO 8601, e.g. 2026-03-01T12:00:00+02:00."),
        "datetime_from_date_parsing": lambda: _(
            "Enter a date and time in ISO 8601, e.g. 2026-03-01T12:00:00+02:00."
        ),
        "datetime_type": lambda: _("Enter a date and time in ISO 8601, e.g. 2026-03-01T12:00:00+02:00."),
        "timezone_aware": lambda: _("Include the time zone offset, e.g. +02:00 or Z."),
        "string_type": lambda: _("Enter text."),
        "bool_type": lambda: _("Enter true or false."),
        "bool_parsing": lambda: _("Enter true or false."),
        "string_too_short": lambda: _("This field cannot be empty."),
        "string_too_long": lambda: _("Use at most %(count)s characters.") % {"count": ctx.get("max_length")},
        "string_pattern_mismatch": lambda: _("Enter a valid value."),
        "too_long": lambda: _("Send at most %(count)s items.") % {"count": ctx.get("max_length")},
        "list_type": lambda: _("Enter a list."),
        "model_type": lambda: _("Enter an object."),
        "model_attributes_type": lambda: _("Enter an object."),
        "dict_type": lambda: _("Enter an object."),
        "literal_error": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "value_error": lambda: str(ctx.get("error", error.get("msg", ""))),
    }
    factory = messages.get(kind)
    return factory() if factory else str(error.get("msg", ""))


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> dict[str, list[str]]:
    """Pydantic errors as ``{"lines.0.quantity": ["…"]}``; ``skip`` drops leading location
    parts (ninja prefixes ``body`` and the parameter name)."""
    result: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())][skip:]
        result.setdefault(".".join(loc) or "body", []).append(_message(error))
    return result


def order_payload_errors(data: object) -> tuple[OrderIn | None, dict[str, list[str]]]:
    """Validate a payload outside a request (``import_orders``): the order, or field errors."""
    try:
        return OrderIn.model_validate(data), {}
    except pydantic.ValidationError as exc:
        return None, field_errors(exc.errors(include_url=False))


__all__ = [
    "CouponCode",
    "CouponOut",
    "ErrorOut",
    "OrderIn",
    "OrderOut",
    "field_errors",
    "order_payload_errors",
]
