"""Cost of one points award for a member with a short and a long ledger history.

    .venv/bin/python bench/ledger.py [--awards 200]

Builds a private SQLite database, gives one member 10 and then 10,000 ledger entries
(through the real service), and times awards on top of each: queries per award and
wall-clock p50/p95. The service reads balances with aggregates over indexed columns, so the
query count must not change with history; the time shows what the database pays for it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--awards", type=int, default=200)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="kanta-bench-ledger-")
    os.environ.update({"KANTA_VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "hub.settings.dev", "DEBUG": "0"})
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from membership.models import User
    from membership.services.points import points_grant

    call_command("migrate", "--no-input", verbosity=0)
    member = User.objects.create_user("bench", "bench@example.com", "x")

    def fill(total: int) -> None:
        have = member.point_entries.count()
        for n in range(have, total):
            points_grant(member=member, rule_key="accepted-answer", idempotency_key=f"history:{n}")

    def measure(label: str) -> tuple[str, int, float, float]:
        timings = []
        queries = 0
        for n in range(args.awards):
            key = f"{label}:{n}"
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                points_grant(member=member, rule_key="review", idempotency_key=key)
            timings.append((time.perf_counter() - start) * 1000)
            queries = max(queries, len(captured))
        timings.sort()
        return label, queries, statistics.median(timings), timings[int(0.95 * len(timings)) - 1]

    rows = []
    fill(10)
    rows.append(measure("10 entries"))
    print("filling 10,000 entries …", file=sys.stderr)
    fill(10_000)
    rows.append(measure("10,000 entries"))
    print(f"\nOne award (review rule, tier refresh), SQLite, {args.awards} awards each\n")
    print("| history | queries per award | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, queries, p50, p95 in rows:
        print(f"| {label} | {queries} | {p50:.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
