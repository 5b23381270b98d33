"""Ten threads granting the same award at once make exactly one ledger entry.

Runs on whatever database the suite uses: SQLite serialises writers, PostgreSQL relies on
the standing row lock and the unique key (CI runs the suite on both)."""

from __future__ import annotations

import pytest

from membership.models import MemberStanding, PointEntry
from membership.services.points import points_grant
from tests.conftest import run_in_threads
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _migrated(migrated_rows):
    # Content types, rules and tiers in place before the threads start (tests/conftest.py).
    return migrated_rows


def test_ten_concurrent_grants_of_one_award_make_one_entry():
    member = make_member("racer")
    source = make_member("reviewed")
    _results, errors = run_in_threads(
        10, lambda _n: points_grant(member=member, rule_key="review", source=source)
    )
    assert errors == []
    assert PointEntry.objects.filter(member=member).count() == 1
    assert MemberStanding.objects.get(member=member).spendable_points == 50


def test_concurrent_distinct_awards_all_land_and_the_cap_holds():
    member = make_member("busy")
    _results, errors = run_in_threads(
        10, lambda n: points_grant(member=member, rule_key="forum-reply", idempotency_key=f"reply:{n}")
    )
    assert errors == []
    assert PointEntry.objects.filter(member=member).count() == 10
    assert MemberStanding.objects.get(member=member).spendable_points == 20
    _results, errors = run_in_threads(
        10, lambda n: points_grant(member=member, rule_key="forum-reply", idempotency_key=f"reply:more:{n}")
    )
    assert errors == []
    assert MemberStanding.objects.get(member=member).spendable_points == 40  # the daily cap, exactly
