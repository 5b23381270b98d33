"""Cost of one award with badge evaluation, for a member with a short and a long ledger history.

    .venv/bin/python bench/ledger.py [--awards 200] [--fill bulk|service] [--history 10 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/ledger.py

Builds a private database (bench/database.py) and, for each history size (10 and 100,000
entries spread over the last 400 days by default) and each operation below, a fresh member
with exactly that history; then measures ``--awards`` awards, each in one transaction as a
calling service would run it, at the present moment (so the status window moves between
awards and, now and then, an entry leaves it):

- the award alone: ``points_grant`` (review rule; balances and tier refreshed);
- the award followed by ``badges_evaluate(member=, event=...)`` for each event the registered
  badges listen to (the periodic "daily" event excepted: no award fires it);
- the award followed by ``badges_evaluate(member=, event=None)``: every badge, the worst case.

The review rule's daily cap (150 points, three reviews a day) is lifted for the run, so every
measured award writes an entry; with it, all but the first three would stop at the cap.

Badges are whatever the apps register at run time; the run prints them. The history is
bulk-inserted by default (identical rows to the service's, by COPY on PostgreSQL and
executemany on SQLite, then ``points_rebuild`` makes the cached balances agree);
``--fill service`` grants it through ``points_grant`` one by one instead (several minutes for
10,000). Inserting ledger rows directly is acceptable here only because this is a bench, not
application code.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database

HISTORY_RULES = ["review", "accepted-answer", "forum-thread", "forum-reply", "event-attendance"]
PERIODIC_EVENTS = {"daily"}
WARM_UP = 5


def insert_rows(model, rows: list[dict]) -> None:
    database.insert_rows(model, rows)


def fill(member, total: int, *, how: str) -> None:
    from django.db import transaction
    from django.utils import timezone

    from membership.models import EarningRule, PointEntry
    from membership.services.points import points_grant, points_rebuild

    have = member.point_entries.count()
    now = timezone.now()
    rng = random.Random(total)
    if how == "service":
        for n in range(have, total):
            points_grant(
                member=member,
                rule_key="accepted-answer",
                idempotency_key=f"history:{member.pk}:{n}",
                now=now - timedelta(days=400 * (total - n) / total),
            )
        return
    rules = {rule.key: rule for rule in EarningRule.objects.filter(key__in=HISTORY_RULES)}
    rows = []
    for n in range(have, total):
        rule = rules[rng.choice(HISTORY_RULES)]
        created = now - timedelta(seconds=rng.uniform(60, 400 * 86400))
        rows.append(
            {
                "member_id": member.pk,
                "amount": int(rule.points),
                "kind": PointEntry.Kind.EARN,
                "rule_id": rule.pk,
                "source_id": "",
                "idempotency_key": f"history:{member.pk}:{n}",
                "state": PointEntry.State.APPROVED,
                "available_at": created,
                "created_at": created,
                "note": "",
            }
        )
    with transaction.atomic():
        insert_rows(PointEntry, rows)
    points_rebuild(now=now)


def measure(member, *, label: str, awards: int, event: str | None, with_badges: bool) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from membership.services.badges import badges_evaluate
    from membership.services.points import points_grant

    timings, counts = [], []
    for n in range(-WARM_UP, awards):  # the first few (negative n) warm caches and are not counted
        key = f"{label}:{event}:{with_badges}:{n}"
        connection.queries_log.clear()  # a full log (9,000 queries) would count 0
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            points_grant(member=member, rule_key="review", idempotency_key=key)
            if with_badges:
                badges_evaluate(member=member, event=event)
        if n >= 0:
            timings.append((time.perf_counter() - start) * 1000)
            counts.append(len(captured))
    p50, p95 = database.percentiles(timings)
    # Typical and worst: an award that lifts the member into a new tier also notifies them.
    return {"queries": int(statistics.median(counts)), "max": max(counts), "p50": p50, "p95": p95}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--awards", type=int, default=200, help="awards measured per row (default 200)")
    parser.add_argument("--fill", choices=["bulk", "service"], default="bulk")
    parser.add_argument("--history", type=int, nargs="+", default=[10, 100_000])
    args = parser.parse_args()

    db_label = database.setup("ledger")
    from membership.badge_registry import badge_definitions
    from membership.models import EarningRule, User

    EarningRule.objects.filter(key="review").update(daily_cap=None)

    badges = badge_definitions()
    events = sorted({event for badge in badges for event in badge.events} - PERIODIC_EVENTS)
    operations: list[tuple[str, str | None, bool, int]] = [("award only", None, False, 0)]
    for event in events:
        listening = sum(1 for badge in badges if event in badge.events)
        operations.append((f"award + badges for `{event}`", event, True, listening))
    operations.append(("award + every badge (`event=None`)", None, True, len(badges)))

    rows = []
    for size in sorted(args.history):
        print(f"measuring with {size:,} entries ({args.fill} fill) …", file=sys.stderr)
        for n, (name, event, with_badges, evaluated) in enumerate(operations):
            # A fresh member per row, so each row starts from exactly `size` entries.
            member = User.objects.create_user(f"bench-{size}-{n}", f"bench-{size}-{n}@example.com", "x")
            fill(member, size, how=args.fill)
            result = measure(
                member, label=f"{size}", awards=args.awards, event=event, with_badges=with_badges
            )
            rows.append((f"{size:,} entries", name, evaluated, result))

    print(f"\nOne award with badge evaluation, {db_label}, {args.awards} awards per row (review cap lifted)")
    print(f"Machine: {database.machine()}")
    print("Badges registered: " + ", ".join(f"{b.key} ({', '.join(sorted(b.events))})" for b in badges))
    print()
    print("| history | operation | badges evaluated | queries (median / max) | p50 ms | p95 ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for size, name, evaluated, r in rows:
        queries = f"{r['queries']} / {r['max']}"
        print(f"| {size} | {name} | {evaluated} | {queries} | {r['p50']:.2f} | {r['p95']:.2f} |")


if __name__ == "__main__":
    main()
