"""Counting a segment's members with 50,000 members (the issue's target: under 1 s).

    .venv/bin/python bench/campaign_segments.py [--members 50000] [--runs 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/campaign_segments.py

Builds a private database (bench/database.py) with ``--members`` active members, written
straight into the tables as the other benches do (bench/leaderboard.py's ``insert``):

- each member: a language (a third Finnish, a third English, a third the site's), marketing
  consent for 60 %, joined in the last three years, a standing (spendable points 0 to 2,000, a
  tier, the last earning 0 to 400 days ago);
- three orders each on average (one in thirty refunded in full), one or two lines each, over
  200 products of which a fifth carry tags and a sixth are sustainable;
- a finished insight run with one retention row per buying member (probability active, CLV,
  last purchase, purchases; a fifth of them on the at-risk list with reasons);
- community activity over the last 400 days, as bench/insight.py has it: ``--posts`` forum
  posts (60,000) by a fifth of the members, 50,000 reactions, 8,000 reviews (a tenth of one or
  two stars). Engagement reads each source's last 180 days once, so its cost follows the
  activity, not the members (``--posts 240000`` shows it).

Then it times ``segment_count`` (``conditions_queryset(...).count()``, one SQL query) for a
mix of condition sets, ``--runs`` times each, and prints the median and worst in ms with the
count found.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database
from leaderboard import insert

ID_BASE = 1_000_000  # ids chosen up front, clear of anything the migrations made


def build(members: int, *, posts: int = 60_000, seed: int = 14) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from community.forum.models import ForumCategory, Post, Reaction, Thread
    from community.reviews.models import Review
    from content.models import Product
    from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
    from membership.models import MemberStanding, Order, OrderLine, Tier, User

    rng = random.Random(seed)
    now = timezone.now()
    password = make_password(None)
    tiers = list(Tier.objects.order_by("threshold").values_list("pk", flat=True))
    sizes: dict[str, int] = {}

    def ago(days: float) -> object:
        return now - timedelta(days=days)

    member_ids = list(range(ID_BASE, ID_BASE + members))
    with transaction.atomic():
        insert(
            User,
            [
                {
                    "id": pk,
                    "password": password,
                    "username": f"m{pk}",
                    "email": f"m{pk}@bench.example",
                    "is_active": True,
                    "date_joined": ago(rng.uniform(0, 3 * 365)),
                    "language": rng.choice(["fi", "en", ""]),
                    "marketing_consent": rng.random() < 0.6,
                }
                for pk in member_ids
            ],
        )
        insert(
            MemberStanding,
            [
                {
                    "member_id": pk,
                    "status_points": rng.randint(0, 5000),
                    "spendable_points": rng.randint(0, 2000),
                    "earned_points": rng.randint(0, 8000),
                    "tier_id": rng.choices(tiers, weights=[60, 25, 10, 5][: len(tiers)])[0],
                    "last_earned_at": ago(rng.uniform(0, 400)),
                }
                for pk in member_ids
            ],
        )
    sizes["members"] = members

    products = Product.objects.bulk_create(
        Product(
            name=f"Bench product {n}",
            slug=f"bench-product-{n}",
            sku=f"BP-{n}",
            price=Decimal("49.90"),
            is_sustainable=n % 6 == 0,
        )
        for n in range(200)
    )
    for n, product in enumerate(products[:40]):
        product.tags.add(["winter", "tyres", "lights", "running", "skiing"][n % 5])

    orders, lines = [], []
    order_id, line_id = ID_BASE, ID_BASE
    for pk in member_ids:
        for _n in range(rng.choice([0, 1, 2, 3, 4, 5, 6])):
            when = ago(rng.uniform(0, 730))
            refunded = rng.random() < 1 / 30
            orders.append(
                {
                    "id": order_id,
                    "external_id": f"B{order_id}",
                    "email": f"m{pk}@bench.example",
                    "member_id": pk,
                    "status": "refunded" if refunded else "paid",
                    "currency": "EUR",
                    "original_total": Decimal("59.90"),
                    "total": Decimal(0) if refunded else Decimal("59.90"),
                    "created_at": when,
                    "received_at": when,
                    "updated_at": when,
                }
            )
            for _line in range(rng.choice([1, 1, 2])):
                product = rng.choice(products)
                lines.append(
                    {
                        "id": line_id,
                        "order_id": order_id,
                        "sku": product.sku,
                        "product_id": product.pk,
                        "quantity": 1,
                        "price": Decimal("49.90"),
                        "is_sustainable": product.is_sustainable,
                    }
                )
                line_id += 1
            order_id += 1
    with transaction.atomic():
        insert(Order, orders)
        insert(OrderLine, lines)
    sizes["orders"], sizes["order lines"] = len(orders), len(lines)
    buyers = sorted({order["member_id"] for order in orders})
    del orders, lines

    run = InsightRun.objects.create(as_of=now, state=InsightRun.State.DONE, finished_at=now, settings={})
    eur = CurrencyInsight.objects.create(run=run, currency="EUR", customers=len(buyers), purchases=0)
    reasons = ["lapsed", "overdue", "fading", "engaging_less", "negative_review", "points_expiring"]
    rows = []
    for n, pk in enumerate(buyers):
        at_risk = rng.random() < 0.2
        p_alive = rng.random()
        rows.append(
            {
                "id": ID_BASE + n,
                "currency_insight_id": eur.pk,
                "email": f"m{pk}@bench.example",
                "member_id": pk,
                "tier_id": rng.choice(tiers),
                "purchases": rng.randint(1, 6),
                "first_purchase": ago(rng.uniform(365, 730)),
                "last_purchase": ago(rng.uniform(0, 365)),
                "net_revenue": Decimal(rng.randint(50, 900)),
                "p_alive": p_alive,
                "predicted_clv": Decimal(rng.randint(0, 600)),
                "lapsed": p_alive < 0.3,
                "value_at_risk": Decimal(rng.randint(0, 300)) if at_risk else Decimal(0),
                # JSON columns take their text here (the raw insert skips Django's adaptation).
                "reasons": json.dumps(rng.sample(reasons, rng.randint(1, 3)) if at_risk else []),
                "reason_details": "{}",
            }
        )
    with transaction.atomic():
        insert(CustomerInsight, rows)
    sizes["retention rows"] = len(rows)
    del rows

    authors = rng.sample(member_ids, members // 5)
    category = ForumCategory.objects.create(name="Bench", slug="bench", description="Bench threads.")
    threads = [
        {
            "id": ID_BASE + n,
            "category_id": category.pk,
            "author_id": rng.choice(authors),
            "title": f"Thread {n}",
            "state": "visible",
            "reply_count": 99,
            "last_number": 100,
            "last_post_at": now,
            "created_at": ago(400),
        }
        for n in range(-(-posts // 100))
    ]
    post_rows = [
        {
            "id": ID_BASE + n,
            "thread_id": ID_BASE + n // 100,
            "number": n % 100 + 1,
            "author_id": rng.choice(authors),
            "body": "Bench post.",
            "body_html": "<p>Bench post.</p>",
            "state": "visible",
            "created_at": ago(rng.uniform(0, 400)),
        }
        for n in range(posts)
    ]
    reactions = {(rng.randrange(posts), rng.choice(member_ids)) for _n in range(50_000)}
    reviewed = {(rng.randrange(200), rng.choice(member_ids)) for _n in range(8_000)}
    with transaction.atomic():
        insert(Thread, threads)
        insert(Post, post_rows)
        insert(
            Reaction,
            [
                {"id": ID_BASE + n, "post_id": ID_BASE + post, "member_id": member, "kind": "like",
                 "created_at": ago(rng.uniform(0, 400))}
                for n, (post, member) in enumerate(sorted(reactions))
            ],
        )  # fmt: skip
        insert(
            Review,
            [
                {"id": ID_BASE + n, "product_id": products[product].pk, "author_id": member,
                 "rating": rng.choices([1, 2, 3, 4, 5], weights=[5, 5, 20, 30, 40])[0], "title": "Bench",
                 "body": "Fine.", "body_html": "<p>Fine.</p>", "state": "published",
                 "created_at": ago(rng.uniform(0, 400))}
                for n, (product, member) in enumerate(sorted(reviewed))
            ],
        )  # fmt: skip
    sizes["forum posts"], sizes["reactions"], sizes["reviews"] = posts, len(reactions), len(reviewed)
    return sizes


def mixes() -> list[tuple[str, dict]]:
    from content.models import Product
    from membership.models import Tier, User

    tiers = list(Tier.objects.order_by("-threshold").values_list("pk", flat=True)[:2])
    products = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:10])
    chosen = list(User.objects.order_by("pk").values_list("pk", flat=True)[::10])
    return [
        ("every active member", {}),
        ("marketing consent", {"marketing_consent": True}),
        (
            "win-back: at risk (lapsed/overdue, 50+) · consent · probability ≤ 0.3",
            {
                "at_risk": {"reasons": ["lapsed", "overdue"], "min_value": "50"},
                "marketing_consent": True,
                "p_alive": {"max": 0.3},
            },
        ),
        (
            "retention: probability 0.2–0.6 · CLV ≥ 100 · 60+ days · 2+ purchases",
            {
                "p_alive": {"min": 0.2, "max": 0.6},
                "predicted_clv": {"min": "100"},
                "days_since_purchase": {"min": 60},
                "purchases": {"min": 2},
            },
        ),
        (
            "purchases: 10 products · tag winter · sustainable · top two tiers",
            {"products": products, "product_tags": ["winter"], "sustainable": True, "tier": tiers},
        ),
        ("community: engagement falling", {"engagement": "falling"}),
        ("community: engagement rising", {"engagement": "rising"}),
        ("community: a 1–2 star review in 90 days", {"negative_review": {"within_days": 90}}),
        (
            "points 500+ · expiring · Finnish · joined in the last two years",
            {
                "points": {"min": 500},
                "points_expiring": True,
                "language": ["fi"],
                "joined": {"after": "2024-12-01"},
            },
        ),
        ("a selection of 5,000 members", {"members": chosen}),
        (
            "everything but the selection",
            {
                "p_alive": {"max": 0.8},
                "predicted_clv": {"min": "10"},
                "days_since_purchase": {"min": 10},
                "purchases": {"min": 1},
                "at_risk": True,
                "product_tags": ["winter", "tyres"],
                "engagement": "falling",
                "negative_review": True,
                "points": {"min": 1},
                "language": ["fi", "en"],
                "marketing_consent": True,
            },
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--posts", type=int, default=60_000, help="forum posts (default 60,000)")
    parser.add_argument("--runs", type=int, default=5, help="measured counts per row (default 5)")
    args = parser.parse_args()

    db_label = database.setup("segments")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from membership.campaigns.conditions import conditions_clean, segment_count

    print(f"building {args.members:,} members …", file=sys.stderr)
    start = time.perf_counter()
    sizes = build(args.members, posts=args.posts)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    built = time.perf_counter() - start

    results = []
    for label, raw in mixes():
        conditions = conditions_clean(raw)
        with CaptureQueriesContext(connection) as queries:
            found = segment_count(conditions)  # warm-up (imports, the registry's first load)
        timings = []
        for _run in range(args.runs):
            started = time.perf_counter()
            segment_count(conditions)
            timings.append((time.perf_counter() - started) * 1000)
        results.append((label, found, len(queries), statistics.median(timings), max(timings)))

    print(
        f"\nSegment counts, {db_label}, "
        + ", ".join(f"{value:,} {name}" for name, value in sizes.items())
        + f" (built in {built:.0f} s), {args.runs} runs per row"
    )
    print(f"Machine: {database.machine()}\n")
    print("| conditions | members found | queries | p50 ms | worst ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, found, queries, p50, worst in results:
        print(f"| {label} | {found:,} | {queries} | {p50:.0f} | {worst:.0f} |")


if __name__ == "__main__":
    main()
