"""``insight_refresh`` on a large store: 100,000 customers and 1,000,000 orders.

    .venv/bin/python bench/insight.py [--customers 100000] [--orders 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/insight.py

Builds a private database (bench/database.py) holding two years of a store's history, written
straight into the tables (COPY on PostgreSQL, executemany on SQLite: it is a bench, and the
services' own speed is measured elsewhere):

- ``--customers`` customers, 40 % of them members (their tiers spread as a loyalty programme's
  are: most in the entry tier, a few VIPs), 5 % buying in SEK, the rest in EUR; a non-member's
  address sometimes spelt with capitals or a ``+tag`` (the same customer once normalised);
- ``--orders`` orders: each customer's first purchase somewhere in the two years, the rest
  spread over the part of it they stayed (so some lapse), their usual spend differing from
  customer to customer; one in thirty refunded in full, one in twenty in part, one in fifty of
  the members' orders with a coupon;
- the community and the programme: 2,000 forum threads with 60,000 posts, 50,000 reactions,
  8,000 reviews (a tenth of them one or two stars), 5,000 coupons redeemed (half used), 3,000
  referrals.

Then it runs ``insight_refresh`` twice in a separate process (so its peak resident memory is
the refresh's alone): the first as on a fresh install, the second as every night after (it also
deletes the previous run). It prints the seconds of each step and the peak memory. The issue's
target: within 120 s on SQLite and on PostgreSQL on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database

MEMBER_SHARE = 0.4
SEK_SHARE = 0.05
TIER_WEIGHTS = {"member": 0.6, "silver": 0.25, "gold": 0.1, "vip": 0.05}


# --- writing rows straight into the tables ------------------------------------------------------


def insert(model, columns: list[str], rows) -> int:
    """Rows (tuples in ``columns`` order) into the model's table; returns how many."""
    from django.db import connection

    table = model._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns)
    count = 0
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield tuple(
                value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value for value in row
            )

    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', counted())  # noqa: S608
    return count


def utc(moment: float) -> datetime:
    return datetime.fromtimestamp(float(moment), UTC)


def money(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


# --- the store's history ------------------------------------------------------------------------


def purchase_times(rng, *, customers: int, orders: int, end: float):
    """Exactly ``orders`` order times for ``customers`` customers, told as BG/NBD tells it (the
    story real stores' data fit): each customer's first purchase somewhere in the two years,
    then purchases at their own rate (Gamma across customers), and after each one a chance of
    never coming back (Beta across customers). Then orders beyond the first are thinned, or
    added within each customer's span, to the exact count. Returns (customer, moment) sorted."""
    import numpy as np

    week = 7 * 86400
    rate = rng.gamma(1.4, 1 / 4.0, customers)  # purchases a week: 0.35 on average
    dropout = rng.beta(0.6, 8.0, customers)
    first = end - rng.uniform(1, 730, customers) * 86400
    who, when = [np.arange(customers)], [first]
    alive, current = np.ones(customers, dtype=bool), first.copy()
    while alive.any():
        alive &= rng.uniform(0, 1, customers) >= dropout
        current = current + rng.exponential(1, customers) / rate * week
        alive &= current < end
        who.append(np.flatnonzero(alive))
        when.append(current[alive])
    customer, moment = np.concatenate(who), np.concatenate(when)
    repeat = np.flatnonzero(np.arange(len(customer)) >= customers)  # every order after the first ones
    if len(customer) > orders:
        drop = rng.choice(repeat, len(customer) - orders, replace=False)
        keep = np.ones(len(customer), dtype=bool)
        keep[drop] = False
        customer, moment = customer[keep], moment[keep]
    elif len(customer) < orders:
        extra = rng.integers(0, customers, orders - len(customer))
        customer = np.concatenate([customer, extra])
        moment = np.concatenate([moment, first[extra] + rng.uniform(0, 1, len(extra)) * (end - first[extra])])
    order = np.lexsort((moment, customer))
    return customer[order], moment[order]


def build(*, customers: int, orders: int, seed: int = 12) -> dict[str, float]:
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from community.models import ForumCategory, Post, Reaction, Review, Thread
    from content.models import Product
    from membership.models import MemberStanding, Order, PointEntry, Redemption, Referral, Reward, Tier, User

    rng = np.random.default_rng(seed)
    now = timezone.now().replace(microsecond=0)
    end = now.timestamp()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    members = int(customers * MEMBER_SHARE)
    joined = utc(end - 800 * 86400)
    with transaction.atomic():
        insert(
            User,
            ["password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
             "is_active", "date_joined", "display_name", "bio", "avatar", "show_on_leaderboard"],
            (("!", False, f"m{n}", "", "", f"m{n}@bench.example", False, True, joined, "", "", "", True)
             for n in range(members)),
        )  # fmt: skip
    member_ids = np.array(
        User.objects.filter(username__startswith="m").order_by("pk").values_list("pk", flat=True)
    )
    tiers = {tier.slug: tier for tier in Tier.objects.all()}
    slugs = list(TIER_WEIGHTS)
    member_tier = rng.choice(len(slugs), size=members, p=list(TIER_WEIGHTS.values()))
    reached = end - rng.uniform(0, 420, members) * 86400
    with transaction.atomic():
        insert(
            MemberStanding,
            ["member_id", "status_points", "spendable_points", "pending_points", "earned_points", "tier_id",
             "tier_reached_at", "last_earned_at"],
            ((int(member_ids[n]), max(0, int(tiers[slugs[t]].threshold + rng.integers(-200, 400))),
              int(rng.integers(0, 800)), int(rng.integers(0, 100)), int(rng.integers(0, 5000)),
              tiers[slugs[t]].pk, utc(reached[n]), utc(end - rng.uniform(0, 400) * 86400))
             for n, t in enumerate(member_tier)),
        )  # fmt: skip
    timings["members"] = time.perf_counter() - started

    # Orders: who, when, how much.
    started = time.perf_counter()
    customer, moment = purchase_times(rng, customers=customers, orders=orders, end=end)
    spend = rng.gamma(4.0, 1500.0, customers) + 1000  # cents: their usual order
    original = np.round(rng.gamma(6.0, spend[customer] / 6.0)).astype(np.int64) + 100
    fate = rng.uniform(0, 1, len(customer))
    refunded, partial = fate < 1 / 30, (fate >= 1 / 30) & (fate < 1 / 30 + 1 / 20)
    left = np.where(
        refunded,
        0,
        np.where(partial, (original * rng.uniform(0.5, 0.9, len(customer))).astype(np.int64), original),
    )
    status = np.where(refunded, "refunded", np.where(partial, "partially_refunded", "paid"))
    sek = rng.uniform(0, 1, customers) < SEK_SHARE
    is_member = np.arange(customers) < members
    coupon = is_member[customer] & (rng.uniform(0, 1, len(customer)) < 1 / 50)
    spelling = rng.integers(0, 10, customers)

    def email(c: int) -> str:
        if c < members:
            return f"m{c}@bench.example"
        # The same customer however the shop spelt the address.
        return {0: f"N{c}@Bench.Example", 1: f"n{c}+shop@bench.example"}.get(
            int(spelling[c]), f"n{c}@bench.example"
        )

    redeemed_codes = [f"BENCH{n:06d}" for n in range(5000)]

    def order_rows():
        for n in range(len(customer)):
            c = int(customer[n])
            created = utc(moment[n])
            yield (
                f"B{n}", email(c), int(member_ids[c]) if c < members else None, str(status[n]),
                "SEK" if sek[c] else "EUR", money(original[n]), money(left[n]), "",
                redeemed_codes[n % len(redeemed_codes)] if coupon[n] else "", str(status[n]) == "paid",
                created, created, created,
            )  # fmt: skip

    with transaction.atomic():
        written = insert(
            Order,
            ["external_id", "email", "member_id", "status", "currency", "original_total", "total",
             "referral_code", "coupon_code", "earns_points", "created_at", "received_at", "updated_at"],
            order_rows(),
        )  # fmt: skip
    timings["orders"] = time.perf_counter() - started

    # The community and the programme.
    started = time.perf_counter()
    authors = member_ids[: max(1, members // 4)]

    def days_ago(count: int, days: float = 400) -> list[datetime]:
        return [utc(moment) for moment in end - rng.uniform(0, days, count) * 86400]

    category = ForumCategory.objects.create(name="Bench", slug="bench", description="Bench threads.")
    products = Product.objects.bulk_create(
        Product(name=f"Bench product {n}", slug=f"bench-product-{n}", sku=f"BP-{n}", price=Decimal("49.90"))
        for n in range(100)
    )
    with transaction.atomic():
        threads, posts = 2000, 60_000
        columns = ["category_id", "author_id", "title", "state", "is_pinned", "is_locked"]
        columns += ["reply_count", "last_number", "last_post_at", "created_at"]
        thread_authors, thread_dates = rng.choice(authors, threads), days_ago(threads)
        insert(
            Thread,
            columns,
            (
                (
                    category.pk,
                    int(thread_authors[n]),
                    f"Thread {n}",
                    "visible",
                    False,
                    False,
                    29,
                    30,
                    when,
                    when,
                )
                for n, when in enumerate(thread_dates)
            ),
        )
        thread_ids = list(Thread.objects.order_by("pk").values_list("pk", flat=True))
        columns = ["thread_id", "number", "author_id", "body", "body_html", "state"]
        columns += [
            "like_count",
            "helpful_count",
            "thanks_count",
            "created_at",
            "edit_count",
            "moderation_reason",
        ]
        post_authors = rng.choice(authors, posts)
        insert(
            Post,
            columns,
            (
                (thread_ids[n // 30], n % 30 + 1, int(post_authors[n]), "Bench post.", "<p>Bench post.</p>",
                 "visible" if n % 40 else "hidden", 0, 0, 0, when, 0, "")
                for n, when in enumerate(days_ago(posts))
            ),
        )  # fmt: skip
        post_ids = np.array(Post.objects.order_by("pk").values_list("pk", flat=True))
        pairs = sorted(
            set(
                zip(
                    rng.choice(post_ids, 52_000).tolist(),
                    rng.choice(member_ids, 52_000).tolist(),
                    strict=True,
                )
            )
        )
        pairs = pairs[:50_000]
        insert(
            Reaction,
            ["post_id", "member_id", "kind", "created_at"],
            (
                (post, member, "like", when)
                for (post, member), when in zip(pairs, days_ago(len(pairs)), strict=True)
            ),
        )
        reviewed = sorted(
            set(
                zip(rng.integers(0, 100, 8_500).tolist(), rng.choice(member_ids, 8_500).tolist(), strict=True)
            )
        )
        reviewed = reviewed[:8_000]
        ratings = rng.choice([1, 2, 3, 4, 5], len(reviewed), p=[0.05, 0.05, 0.2, 0.3, 0.4])
        columns = ["product_id", "author_id", "rating", "title", "body", "body_html", "state"]
        columns += ["helpful_count", "incentivised", "moderation_reason", "created_at"]
        insert(
            Review,
            columns,
            (
                (products[p].pk, author, int(ratings[n]), "Bench", "Fine.", "<p>Fine.</p>", "published",
                 0, False, "", when)
                for n, ((p, author), when) in enumerate(zip(reviewed, days_ago(len(reviewed)), strict=True))
            ),
        )  # fmt: skip
        rewards = [
            Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal("10"), cost=500),
            Reward.objects.create(name="15 % off", kind=Reward.Kind.PERCENT, value=Decimal("15"), cost=700),
            Reward.objects.create(name="Free shipping", kind=Reward.Kind.SHIPPING, value=0, cost=300),
        ]
        redeemers = rng.choice(member_ids, len(redeemed_codes)).tolist()
        redeemed_at = days_ago(len(redeemed_codes))
        columns = ["member_id", "amount", "kind", "source_id", "idempotency_key", "state", "available_at"]
        columns += ["created_at", "note"]
        insert(
            PointEntry,
            columns,
            (
                (member, -500, "redeem", "", f"bench-redeem-{n}", "approved", when, when, "Bench")
                for n, (member, when) in enumerate(zip(redeemers, redeemed_at, strict=True))
            ),
        )
        entries = list(
            PointEntry.objects.filter(idempotency_key__startswith="bench-redeem-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        insert(
            Redemption,
            ["member_id", "reward_id", "coupon_code", "entry_id", "created_at", "used_at", "void_reason"],
            (
                (member, rewards[n % 3].pk, redeemed_codes[n], entries[n], when,
                 when + timedelta(days=5) if n % 2 else None, "")
                for n, (member, when) in enumerate(zip(redeemers, redeemed_at, strict=True))
            ),
        )  # fmt: skip
        friends = rng.permutation(member_ids)[:3000].tolist()
        referrers = rng.choice(member_ids, len(friends)).tolist()
        insert(
            Referral,
            ["referrer_id", "friend_id", "state", "reason", "detail", "created_at"],
            (
                (referrer, friend, "converted", "", "", when)
                for referrer, friend, when in zip(referrers, friends, days_ago(len(friends)), strict=True)
            ),
        )
    timings["community and programme"] = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"built {members:,} members, {customers - members:,} other customers, {written:,} orders",
        file=sys.stderr,
    )
    return timings


# --- measuring -------------------------------------------------------------------------------------


def refresh_twice() -> None:
    """In the child process: two refreshes, each step's seconds as JSON on stdout."""
    import django

    django.setup()
    from membership.insight.refresh import insight_refresh

    runs = []
    for _ in range(2):
        marks: list[tuple[str, float]] = []

        def mark(step: str, done: int, total: int, marks: list = marks) -> None:
            marks.append((step, time.perf_counter()))

        start = time.perf_counter()
        run = insight_refresh(progress=mark)
        total = time.perf_counter() - start
        steps = [(name, later - at) for (name, at), (_n, later) in itertools.pairwise(marks)]
        customers = sum(run.currencies.values_list("customers", flat=True))
        models = {
            insight.currency: (insight.model.get("state"), insight.model.get("message", ""))
            for insight in run.currencies.all()
        }
        runs.append({"total": total, "steps": steps, "customers": customers, "models": models})
    print(json.dumps({"runs": runs, "peak_mib": peak_resident_mib()}))


def peak_resident_mib() -> float:
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss: Linux carries
    ru_maxrss over from the parent across fork and exec, and the parent built the history."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--refresh-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.refresh_only:
        refresh_twice()
        return

    db_label = database.setup("insight")
    print(f"building {args.customers:,} customers and {args.orders:,} orders …", file=sys.stderr)
    built = build(customers=args.customers, orders=args.orders)
    from django.db import connections

    connections.close_all()
    print("refreshing (twice, in a separate process) …", file=sys.stderr)
    child = subprocess.run(
        [sys.executable, __file__, "--refresh-only"],
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        sys.exit(f"refresh failed:\n{child.stderr}")
    result = json.loads(child.stdout.strip().splitlines()[-1])

    print(f"\ninsight_refresh, {db_label}, {args.customers:,} customers, {args.orders:,} orders")
    print(f"Machine: {database.machine()}")
    print(
        "Building the history (not measured): " + ", ".join(f"{name} {s:.1f} s" for name, s in built.items())
    )
    first, second = result["runs"]
    print(f"Customers stored: {second['customers']:,}")
    for currency, (state, message) in second["models"].items():
        print(f"Model {currency}: {state}{f' ({message})' if message else ''}")
    print()
    print("| step | first refresh, s | nightly refresh, s |")
    print("| --- | ---: | ---: |")
    for (name, a), (_name, b) in zip(first["steps"], second["steps"], strict=True):
        print(f"| {name} | {a:.2f} | {b:.2f} |")
    print(f"| **total** | **{first['total']:.1f}** | **{second['total']:.1f}** |")
    print(f"\nPeak resident memory of the refreshing process: {result['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
