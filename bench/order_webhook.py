"""One new order through the shop's webhook: queries and milliseconds per request (issue 16).

    .venv/bin/python bench/order_webhook.py [--requests 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/order_webhook.py

Builds a private database (bench/database.py) with a catalogue (every other product
sustainable) and, for each request, the worst realistic buyer: a verified member who joined
through a friend's referral link a day ago and has not bought yet, so the order earns
purchase and sustainability points, refreshes the standing and tier, runs the badges,
qualifies the referral (both sides' points) and notifies the member.

Then, for orders of 1 line and of 10 lines, it sends ``--requests`` signed
``POST /api/v1/orders/`` through Django's test client (no network; signature, JSON,
payload checks, ``order_receive``, the receivers, the answer) and prints the queries of one
request (the median; they do not vary) and p50/p95 milliseconds. A replay of the same
order (signed anew) and its full refund are measured the same way.

Queries are counted as production runs them: no transaction around the request, so the
service's ``atomic`` is BEGIN/COMMIT, which Django does not log. The test
(tests/membership/test_order_queries.py) runs inside a test transaction and counts the
SAVEPOINT/RELEASE pairs too, so its figures are higher by those.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database

PRODUCTS = 40


def catalogue() -> list[str]:
    from content.models import Product

    products = [
        Product(
            name=f"Bench product {n}",
            slug=f"bench-product-{n}",
            sku=f"BW-{n:04d}",
            price=Decimal("60.00"),
            is_sustainable=n % 2 == 0,
            sustainability_reason="Recycled materials." if n % 2 == 0 else "",
        )
        for n in range(PRODUCTS)
    ]
    Product.objects.bulk_create(products)
    return [product.sku for product in products]


def member(username: str):
    from allauth.account.models import EmailAddress

    from membership.models import User

    user = User.objects.create_user(username=username, email=f"{username}@bench.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def referred_buyers(count: int, prefix: str) -> list[str]:
    """``count`` verified members, each referred by a member of their own, through the real
    referral services (link, visit, attribution). Returns the buyers' addresses."""
    from django.utils import timezone

    from membership.models import Referral
    from membership.services.referrals import (
        referral_attribute,
        referral_link_get_or_create,
        referral_visit_record,
    )

    joined = timezone.now() - timedelta(days=1)
    emails = []
    for n in range(count):
        referrer, friend = (member(f"{prefix}-{role}{n}") for role in ("ref", "buyer"))
        link = referral_link_get_or_create(member=referrer)
        visit = referral_visit_record(link=link, device_id="", ip_hash="", now=joined)
        referral = referral_attribute(
            friend=friend, code=link.code, visit_id=visit.pk, device_id="", ip_hash="", now=joined
        )
        if referral is None or referral.state != Referral.State.SIGNED_UP:
            raise SystemExit(f"the bench's referral was not attributed: {referral!r}")
        emails.append(friend.email)
    return emails


def order_body(order_id: str, email: str, skus: list[str], **changes) -> bytes:
    from django.utils import timezone

    price = Decimal("600.00") / len(skus)
    payload = {
        "id": order_id,
        "email": email,
        "status": "paid",
        "currency": "EUR",
        "total": "600.00",
        "created_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "lines": [{"sku": sku, "quantity": 1, "price": str(price.quantize(Decimal("0.01")))} for sku in skus],
    }
    payload.update(changes)
    return json.dumps(payload).encode()


def send(client, body: bytes, expect: int) -> tuple[float, int]:
    """One signed request: (milliseconds, queries)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from membership.signing import SIGNATURE_HEADER, signature_header

    url = "/api/v1/orders/"
    # The log keeps the last 9,000 queries only: once full, a capture would count none.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        header = signature_header(method="POST", path=url, body=body)
        response = client.generic(
            "POST", url, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
        )
        elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != expect:
        raise SystemExit(f"the webhook answered {response.status_code}: {response.content[:300]!r}")
    return elapsed, len(queries)


def measure(client, bodies: list[bytes], expect: int) -> tuple[int, float, float]:
    timings, counts = [], []
    for body in bodies:
        elapsed, count = send(client, body, expect)
        timings.append(elapsed)
        counts.append(count)
    p50, p95 = database.percentiles(timings)
    return int(statistics.median(counts)), p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per case (default 200)")
    args = parser.parse_args()

    db_label = database.setup("order-webhook")
    from django.test import Client

    skus = catalogue()
    client = Client(HTTP_HOST="localhost")
    # Content types, rules and the like are cached in a running hub: one order first.
    warm = referred_buyers(1, "warm")
    send(client, order_body("W-1", warm[0], skus[:1]), 201)

    rows = []
    for line_count in (1, 10):
        print(f"{args.requests} referred buyers, orders of {line_count} line(s) …", file=sys.stderr)
        buyers = referred_buyers(args.requests, f"l{line_count}")
        lines = skus[:line_count]
        ids = [f"L{line_count}-{n}" for n in range(len(buyers))]
        new = [order_body(i, email, lines) for i, email in zip(ids, buyers, strict=True)]
        rows.append((f"new order, {line_count} line(s)", len(new), *measure(client, new, 201)))
        if line_count == 10:
            rows.append(("replay of the same order", len(new), *measure(client, new, 200)))
            refunds = [
                order_body(i, email, lines, status="refunded", total="0.00", refunded_total="600.00")
                for i, email in zip(ids, buyers, strict=True)
            ]
            rows.append(("its full refund", len(refunds), *measure(client, refunds, 200)))

    print(f"\norder webhook, {db_label}")
    print(f"Machine: {database.machine()}")
    print()
    print("| request | requests | queries | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, count, queries, p50, p95 in rows:
        print(f"| {name} | {count} | {queries} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
