"""What the shop does in tests: build order payloads and make signed calls to /api/v1/."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import count

from content.models import Product
from membership.api import signature_for

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


def signed_post(
    client, path: str, payload: dict | str | bytes | None = None, *, signature: str | None = None
):
    if payload is None:
        body = b""
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload).encode()
    header = signature if signature is not None else signature_for(body or path.encode())
    return client.generic(
        "POST", path, data=body, content_type="application/json", headers={"X-Kanta-Signature": header}
    )


def signed_get(client, path: str, *, signature: str | None = None):
    header = signature if signature is not None else signature_for(path.encode())
    return client.get(path, headers={"X-Kanta-Signature": header})


def post_order(client, payload: dict):
    return signed_post(client, "/api/v1/orders/", payload)
