"""Calling a shop's own admin API (the outgoing half of an adapter): what a coupon is in the
shop's terms, and how a call's failure is classed. A *passing* failure (the network, the shop
overloaded or throttling us) is tried again later; a *refusal* (bad credentials, a payload the
shop rejects) is not, until staff act (membership/shops/coupons.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import requests

# Connect, then read: a shop that does not answer within these is tried again later.
TIMEOUT = (5, 20)


class ShopAPIError(Exception):
    def __init__(self, message: str, *, passing: bool, retry_after: float | None = None) -> None:
        self.passing = passing
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class CouponSpec:
    """A Kanta coupon as a shop discount: one use, by anyone holding the code."""

    code: str
    title: str
    kind: str  # Reward.Kind: fixed, percent, shipping, product
    value: Decimal
    product_sku: str = ""
    ends_at: datetime | None = None


class CouponAPI(Protocol):
    def coupon_create(self, spec: CouponSpec) -> str:
        """Create the discount; its id in the shop. Raises ShopAPIError; a code the shop
        already has (an earlier try whose answer was lost) is found and its id returned."""
        ...

    def coupon_delete(self, *, code: str, external_id: str) -> None:
        """Remove the discount so the shop refuses the code; nothing to do if it is gone."""
        ...


def retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One HTTP call; network faults and the shop's own trouble (5xx, 429) are passing."""
    try:
        response = requests.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise ShopAPIError(f"{method} {url}: {type(exc).__name__}: {exc}", passing=True) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise ShopAPIError(
            f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}",
            passing=True,
            retry_after=retry_after(response),
        )
    return response


def json_body(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        raise ShopAPIError(
            f"{what}: HTTP {response.status_code}, not JSON: {response.text[:300]}", passing=True
        ) from None
