"""Leaderboard time with many members: the selector and the whole /leaderboard/ page.

    .venv/bin/python bench/leaderboard.py [--members 50000] [--runs 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/leaderboard.py

Builds a private database (bench/database.py) with ``--members`` members, each with 1 to 30
earned entries spread over the last 400 days (rules drawn like a real store's mix: reviews,
forum, purchases pending for 14 days …), about 3 % of them partly reversed, some
redemptions, 1 % inactive and 5 % opted out of the leaderboard, and a cached standing per
member. Users, ledger rows and standings are bulk-inserted: acceptable in a bench only (the
application writes the ledger through ``membership.services.points`` alone), and a hundred
times faster than 775,000 service calls.

Then, for each period (all time, 30 days, 7 days), ``--runs`` times each:
- the selector ``membership.selectors.leaderboard(period=...)`` with an empty cache (the
  cost one request pays when the cached ranking has expired) and with a warm cache;
- the page ``GET /leaderboard/?period=...`` through Django's test client, cold and warm.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database

# rule key, weight: what a member base earns most often.
RULE_MIX = [
    ("purchase", 20),
    ("purchase-sustainable", 4),
    ("review", 12),
    ("review-photo", 4),
    ("forum-thread", 10),
    ("forum-reply", 30),
    ("accepted-answer", 6),
    ("helpful-reaction", 10),
    ("referral-referrer", 1),
    ("event-attendance", 3),
]
CHUNK = 5_000  # members per insert round: bounded memory whatever --members says


def insert(model, rows: list[dict]) -> None:
    database.insert_rows(model, rows, ids_given=True)


def build(members: int, *, seed: int = 2026) -> int:
    """Insert the members, their ledgers and standings; returns the number of ledger rows."""
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from membership.models import EarningRule, MemberStanding, PointEntry, Tier, User

    rng = random.Random(seed)
    now = timezone.now()
    year_ago = now - timedelta(days=365)
    rules = {rule.key: rule for rule in EarningRule.objects.all()}
    keys = [key for key, _weight in RULE_MIX]
    weights = [weight for _key, weight in RULE_MIX]
    tiers = sorted(Tier.objects.all(), key=lambda tier: tier.threshold, reverse=True)
    password = make_password(None)  # unusable, and made once rather than 50,000 times
    Kind, State = PointEntry.Kind, PointEntry.State
    user_id = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    entry_id = (PointEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    total_rows = 0
    for first in range(0, members, CHUNK):
        users, entries, standings = [], [], []
        for n in range(first, min(members, first + CHUNK)):
            users.append(
                {
                    "id": user_id,
                    "username": f"member{n:06d}",
                    "email": f"member{n:06d}@example.com",
                    "password": password,
                    "display_name": f"Member {n}",
                    "is_active": rng.random() >= 0.01,
                    "show_on_leaderboard": rng.random() >= 0.05,
                    "date_joined": now - timedelta(days=rng.uniform(400, 800)),
                }
            )
            status = spendable = pending = earned = 0
            last_earned = None
            for _ in range(rng.randint(1, 30)):
                rule = rules[rng.choices(keys, weights)[0]]
                units = rng.randint(20, 300) if rule.per_currency_unit else 1
                created = now - timedelta(seconds=rng.uniform(60, 400 * 86400))
                available = created + timedelta(days=rule.pending_days)
                amount = max(1, int(rule.points * units))
                state = State.PENDING if available > now else State.APPROVED
                entries.append(
                    {
                        "id": entry_id,
                        "member_id": user_id,
                        "amount": amount,
                        "kind": Kind.EARN,
                        "rule_id": rule.pk,
                        "idempotency_key": f"bench:{entry_id}",
                        "state": state,
                        "available_at": available,
                        "created_at": created,
                    }
                )
                earned_id, entry_id = entry_id, entry_id + 1
                last_earned = max(created, last_earned or created)
                if rng.random() < 0.03:  # partly refunded or moderated away later
                    taken = max(1, amount // 2)
                    entries.append(
                        {
                            "id": entry_id,
                            "member_id": user_id,
                            "amount": -taken,
                            "kind": Kind.REVERSAL,
                            "idempotency_key": f"reverse:{earned_id}",
                            "state": state,
                            "available_at": available,
                            "created_at": min(now, created + timedelta(days=3)),
                            "reverses_id": earned_id,
                        }
                    )
                    amount -= taken
                    entry_id += 1
                # Standings as points_rebuild computes them: status is what was approved in
                # the last 12 months, net of its corrections.
                earned += amount  # the all-time leaderboard's total: spending never lowers it
                if state == State.PENDING:
                    pending += amount
                else:
                    spendable += amount
                    status += amount if created > year_ago else 0
            if spendable > 500 and rng.random() < 0.3:
                spent = rng.randint(1, spendable // 500) * 500
                spendable -= spent
                entries.append(
                    {
                        "id": entry_id,
                        "member_id": user_id,
                        "amount": -spent,
                        "kind": Kind.REDEEM,
                        "idempotency_key": f"redeem:{entry_id}",
                        "state": State.APPROVED,
                        "available_at": now - timedelta(days=5),
                        "created_at": now - timedelta(days=rng.uniform(5, 300)),
                    }
                )
                entry_id += 1
            tier = next((tier for tier in tiers if tier.threshold <= status), None)
            standings.append(
                {
                    "member_id": user_id,
                    "status_points": status,
                    "spendable_points": spendable,
                    "pending_points": pending,
                    "earned_points": earned,
                    "tier_id": tier.pk if tier else None,
                    "tier_reached_at": now - timedelta(days=30) if tier else None,
                    "last_earned_at": last_earned,
                }
            )
            user_id += 1
        with transaction.atomic():
            insert(User, users)
            insert(PointEntry, entries)
            insert(MemberStanding, standings)
        total_rows += len(entries)
        print(f"  {min(members, first + CHUNK):,} members, {total_rows:,} ledger rows", file=sys.stderr)
    with connection.cursor() as cursor:  # ids were chosen here: move PostgreSQL's sequences on
        for statement in connection.ops.sequence_reset_sql(no_style(), [User, PointEntry]):
            cursor.execute(statement)
    return total_rows


def timed(call, runs: int, *, before=None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], 0
    for _ in range(runs):
        if before:
            before()
        connection.queries_log.clear()  # a full log (9,000 queries) would count 0
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            call()
        timings.append((time.perf_counter() - start) * 1000)
        queries = max(queries, len(captured))
    p50, p95 = database.percentiles(timings)
    return {"queries": queries, "p50": p50, "p95": p95}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20, help="measured calls per row (default 20)")
    args = parser.parse_args()

    db_label = database.setup("leaderboard")
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from membership import selectors

    print(f"building {args.members:,} members …", file=sys.stderr)
    start = time.perf_counter()
    ledger_rows = build(args.members)
    with connection.cursor() as cursor:
        # Fresh statistics (and on PostgreSQL a visibility map), as autovacuum keeps on a live database.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    built = time.perf_counter() - start

    client = Client(HTTP_HOST="localhost")
    rows = []
    for period in selectors.LEADERBOARD_PERIODS:
        assert client.get(f"/leaderboard/?period={period}").status_code == 200  # warm-up, imports
        cold = timed(lambda p=period: selectors.leaderboard(period=p), args.runs, before=cache.clear)
        warm = timed(lambda p=period: selectors.leaderboard(period=p), args.runs)
        page_cold = timed(
            lambda p=period: client.get(f"/leaderboard/?period={p}"), args.runs, before=cache.clear
        )
        page_warm = timed(lambda p=period: client.get(f"/leaderboard/?period={p}"), args.runs)
        rows.append((period, cold, warm, page_cold, page_warm))

    print(
        f"\nLeaderboard, {db_label}, {args.members:,} members, {ledger_rows:,} ledger rows "
        f"(built in {built:.0f} s), {args.runs} runs per cell"
    )
    print(f"Machine: {database.machine()}\n")
    print(
        "| period | selector, cache empty: queries / p50 / p95 ms "
        "| selector, cache warm: queries / p50 / p95 ms "
        "| page, cache empty: queries / p50 / p95 ms | page, cache warm: queries / p50 / p95 ms |"
    )
    print("| --- | --- | --- | --- | --- |")
    for period, cold, warm, page_cold, page_warm in rows:
        print(
            f"| {period} | {cold['queries']} / {cold['p50']:.1f} / {cold['p95']:.1f} "
            f"| {warm['queries']} / {warm['p50']:.1f} / {warm['p95']:.1f} "
            f"| {page_cold['queries']} / {page_cold['p50']:.1f} / {page_cold['p95']:.1f} "
            f"| {page_warm['queries']} / {page_warm['p50']:.1f} / {page_warm['p95']:.1f} |"
        )


if __name__ == "__main__":
    main()
