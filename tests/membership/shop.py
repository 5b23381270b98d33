"""What the shop does in tests: build order payloads and make signed calls to /api/v1/.

``shop_signature`` is the one place tests (browser tests included) sign a call; it signs the
way docs/api.md tells the shop to (membership/signing.py).
"""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from itertools import count

from content.models import Product
from membership.signing import SIGNATURE_HEADER, signature_header

_skus = count(1)


def make_product(*, price: str = "50.00", sustainable: bool = False, sku: str | None = None) -> Product:
    n = next(_skus)
    return Product.objects.create(
        name=f"Test product {n}",
        slug=f"test-product-{n}",
        sku=sku or f"TP-{n:04d}",
        price=Decimal(price),
        is_sustainable=sustainable,
        sustainability_reason="Recycled shell." if sustainable else "",
    )


def order_payload(order_id: str = "1001", email: str = "aino@example.com", **overrides) -> dict:
    payload = {
        "id": order_id,
        "email": email,
        "status": "paid",
        "currency": "EUR",
        "total": "100.00",
        "created_at": "2026-03-01T12:00:00+02:00",
        "lines": [{"sku": "UNKNOWN-SKU", "quantity": 1, "price": "100.00"}],
    }
    payload.update(overrides)
    return payload


# Kanta accepts a signature once, and two identical calls signed in the same second are the
# same signature; tests repeat calls faster than that, so a repeat is signed a second later,
# as a shop's retry would be.
_last_signed: dict[tuple[str, str, bytes], int] = {}
_signing = threading.Lock()  # concurrency tests sign from several threads at once


def shop_signature(
    method: str, path: str, body: bytes = b"", *, timestamp: int | None = None, secret: str | None = None
) -> dict[str, str]:
    """The signature header for one call, signed now unless ``timestamp`` is given."""
    if timestamp is None:
        key = (method, path, body)
        with _signing:
            timestamp = max(int(time.time()), _last_signed.get(key, 0) + 1)
            _last_signed[key] = timestamp
    header = signature_header(method=method, path=path, body=body, timestamp=timestamp, secret=secret)
    return {SIGNATURE_HEADER: header}


def body_bytes(payload: dict | str | bytes | None) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload).encode()


def signed_post(
    client, path: str, payload: dict | str | bytes | None = None, *, signature: str | None = None
):
    body = body_bytes(payload)
    headers = {SIGNATURE_HEADER: signature} if signature is not None else shop_signature("POST", path, body)
    return client.generic("POST", path, data=body, content_type="application/json", headers=headers)


def signed_get(client, path: str, *, signature: str | None = None):
    headers = {SIGNATURE_HEADER: signature} if signature is not None else shop_signature("GET", path)
    return client.get(path, headers=headers)


def post_order(client, payload: dict):
    return signed_post(client, "/api/v1/orders/", payload)
