"""Loading a store's history: ``import_orders`` on a large CSV against one order at a time.

    .venv/bin/python bench/import_orders.py [--orders 100000] [--customers 30000] [--sample 5000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/import_orders.py

Builds a private database (bench/database.py) with members (a third of the customers, their
addresses verified, as a store that asks members to confirm their email has them) and the
demo catalogue's shape (a fifth of the products sustainable), and writes a CSV of
``--orders`` orders over the last two years from ``--customers`` customers: one to four
lines each, one order in twenty refunded in part and one in fifty in full (a refunded order
is reported by its final state, as a history export holds it), one in ten with a coupon
code.

Then it measures, each from the same starting state (no orders yet):

- ``manage.py import_orders`` on the whole file (CSV parsing and the webhook's payload
  checks included), then the same file again (every order unchanged);
- the one-at-a-time path the webhook takes: ``order_receive`` for each of the first
  ``--sample`` orders of the file, each in its own transaction, payloads already parsed
  (so the comparison favours it: the speed-up is against this);
- the whole webhook request for each of the first ``--webhook-sample`` orders: a signed
  ``POST /api/v1/orders/`` through Django's test client (signature check and replay row,
  JSON, payload checks, ``order_receive``, the answer's points);

and prints orders per second for both, the speed-up, and the process's peak resident memory
before and after the import (what the import itself adds is the difference).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database

PRODUCTS = 200
HEADER = [
    "order_id",
    "email",
    "status",
    "currency",
    "total",
    "created_at",
    "sku",
    "quantity",
    "price",
    "coupon_code",
    "refunded_total",
]


def catalogue(rng: random.Random) -> list[tuple[str, Decimal]]:
    from content.models import Product

    products = [
        Product(
            name=f"Bench product {n}",
            slug=f"bench-product-{n}",
            sku=f"BP-{n:04d}",
            price=Decimal(rng.randrange(500, 30000)) / 100,
            is_sustainable=n % 5 == 0,
            sustainability_reason="Recycled materials." if n % 5 == 0 else "",
        )
        for n in range(PRODUCTS)
    ]
    Product.objects.bulk_create(products)
    return [(product.sku, product.price) for product in products]


def members(customers: int) -> list[str]:
    """Every third customer is a member with a verified address (created in bulk: the
    accounts are the setting, not what is measured)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from membership.models import User

    password = make_password("bench")
    emails = [f"customer{n}@bench.example" for n in range(customers)]
    users = User.objects.bulk_create(
        [User(username=f"customer{n}", email=emails[n], password=password) for n in range(0, customers, 3)],
        batch_size=2000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users],
        batch_size=2000,
    )
    return emails


def history_csv(*, orders: int, emails: list[str], products: list, rng: random.Random) -> str:
    from django.utils import timezone

    now = timezone.now()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    # A few customers buy often, most once or twice (a long tail, as stores see).
    weights = [1 / (1 + n % 97) for n in range(len(emails))]
    buyers = rng.choices(emails, weights=weights, k=orders)
    for n, email in enumerate(buyers):
        lines = [rng.choice(products) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4]))]
        quantities = [rng.choice([1, 1, 1, 2]) for _ in lines]
        paid = sum((price * qty for (_sku, price), qty in zip(lines, quantities, strict=True)), Decimal(0))
        created = now - timedelta(seconds=rng.uniform(0, 730 * 86400))
        status, total, refunded = "paid", paid, ""
        roll = rng.random()
        if roll < 0.02:
            status, total, refunded = "refunded", Decimal(0), str(paid)
        elif roll < 0.07:
            total = (paid * Decimal(rng.uniform(0.3, 0.9))).quantize(Decimal("0.01"))
            status, refunded = "partially_refunded", str(paid - total)
        coupon = f"POLKU-{n % 9000:04d}" if rng.random() < 0.1 else ""
        for (sku, price), qty in zip(lines, quantities, strict=True):
            writer.writerow(
                [
                    f"B-{n:07d}",
                    email,
                    status,
                    "EUR",
                    total,
                    created.isoformat(),
                    sku,
                    qty,
                    price,
                    coupon,
                    refunded,
                ]
            )
    return buffer.getvalue()


def snapshot_state() -> tuple[int, int, int]:
    from membership.models import Order, OrderLine, PointEntry

    return Order.objects.count(), OrderLine.objects.count(), PointEntry.objects.count()


def timed_import(path: Path) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    start = time.perf_counter()
    call_command("import_orders", str(path), stdout=out, stderr=io.StringIO())
    return time.perf_counter() - start, out.getvalue().strip().splitlines()[0]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_at_a_time(path: Path, sample: int) -> float:
    """order_receive for the first ``sample`` orders of the file, as the webhook calls it."""
    from django.db import transaction
    from django.utils import timezone

    from membership.management.commands.import_orders import read_orders
    from membership.schemas import order_payload_errors
    from membership.services.orders import order_receive

    _columns, groups = read_orders(path.read_text(encoding="utf-8"))
    payloads = [order_payload_errors(group.payload()[0])[0] for group in groups[:sample]]
    now = timezone.now()
    start = time.perf_counter()
    for payload in payloads:
        # The webhook's request is one transaction (ATOMIC_REQUESTS is off: the service's own).
        with transaction.atomic():
            order_receive(**payload.service_kwargs(), now=now, notify=False)
    return time.perf_counter() - start


def through_the_webhook(path: Path, sample: int) -> float:
    """Signed POSTs to /api/v1/orders/ for the first ``sample`` orders of the file, as the shop
    sends them (Django's test client: no network, the whole request path otherwise)."""
    import json

    from django.test import Client

    from membership.management.commands.import_orders import read_orders
    from membership.signing import SIGNATURE_HEADER, signature_header

    _columns, groups = read_orders(path.read_text(encoding="utf-8"))
    bodies = [json.dumps(group.payload()[0]).encode() for group in groups[:sample]]
    client = Client(HTTP_HOST="localhost")
    url = "/api/v1/orders/"
    start = time.perf_counter()
    for body in bodies:
        header = signature_header(method="POST", path=url, body=body)
        response = client.generic(
            "POST", url, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
        )
        if response.status_code not in (200, 201):
            raise SystemExit(f"the webhook answered {response.status_code}: {response.content[:300]!r}")
    return time.perf_counter() - start


def reset_orders() -> None:
    """Back to the state before any import: no orders, no ledger, no standings, no badges."""
    from membership.models import BadgeAward, MemberStanding, Notification, Order, PointEntry, Referral

    Referral.objects.all().delete()
    PointEntry.objects.all().delete()
    MemberStanding.objects.all().delete()
    BadgeAward.objects.all().delete()
    Notification.objects.all().delete()
    Order.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--sample", type=int, default=5_000, help="orders sent one at a time (default 5000)")
    parser.add_argument(
        "--webhook-sample", type=int, default=1_000, help="signed webhook requests (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    db_label = database.setup("import-orders")
    rng = random.Random(args.seed)
    print(f"building {args.customers:,} customers and {args.orders:,} orders …", file=sys.stderr)
    products = catalogue(rng)
    emails = members(args.customers)
    path = Path(database.tempfile.mkdtemp(prefix="kanta-bench-orders-")) / "orders.csv"
    path.write_text(
        history_csv(orders=args.orders, emails=emails, products=products, rng=rng), encoding="utf-8"
    )
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1

    print("import_orders …", file=sys.stderr)
    rss_before = peak_rss_mb()
    seconds, summary = timed_import(path)
    rss_after = peak_rss_mb()
    stored = snapshot_state()
    again, summary_again = timed_import(path)

    print("one order at a time …", file=sys.stderr)
    reset_orders()
    sample = min(args.sample, args.orders)
    single = one_at_a_time(path, sample)
    reset_orders()
    requests = min(args.webhook_sample, args.orders)
    webhook = through_the_webhook(path, requests)

    bulk_rate = args.orders / seconds
    single_rate = sample / single
    title = f"{args.orders:,} orders ({rows:,} CSV rows), {args.customers:,} customers"
    print(f"\nimport_orders, {db_label}, {title}")
    print(f"Machine: {database.machine()}")
    print()
    print("| path | orders | seconds | orders/s |")
    print("| --- | ---: | ---: | ---: |")
    table = [
        ("signed `POST /api/v1/orders/` one at a time (the whole request)", requests, webhook),
        ("`order_receive` one at a time (the webhook's service)", sample, single),
        ("`import_orders` (bulk)", args.orders, seconds),
        ("`import_orders` again (all unchanged)", args.orders, again),
    ]
    for name, count, taken in table:
        print(f"| {name} | {count:,} | {taken:.1f} | {count / taken:,.0f} |")
    print()
    print(
        f"Speed-up: {bulk_rate / single_rate:.1f}x orders per second against `order_receive` one at a "
        f"time, {bulk_rate / (requests / webhook):.1f}x against the webhook's requests"
    )
    print(
        f"Peak memory (resident, whole process): {rss_after:.0f} MB after the import, "
        f"{rss_before:.0f} MB before it (Django, the generated data)"
    )
    print(f"Stored: {stored[0]:,} orders, {stored[1]:,} lines, {stored[2]:,} ledger entries")
    print(f"First run: {summary}")
    print(f"Second run: {summary_again}")


if __name__ == "__main__":
    main()
