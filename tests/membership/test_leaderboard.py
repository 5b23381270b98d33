"""/leaderboard/: members ranked by points earned, all time, 30 days and 7 days; opt-out;
rankings cached for a minute (docs/PERFORMANCE.md), members always read fresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from membership.selectors import leaderboard
from membership.services.points import points_grant, points_redeem, points_reverse
from membership.services.profiles import profile_update
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def earners(member, other_member, review_rule_uncapped):
    old = timezone.now() - timedelta(days=40)
    for n in range(4):
        points_grant(member=member, rule_key="review", idempotency_key=f"a:{n}", now=old)  # 200, long ago
    points_grant(member=other_member, rule_key="review", idempotency_key="e:1")  # 50, this week
    points_grant(member=other_member, rule_key="accepted-answer", idempotency_key="e:2")  # 25, this week
    return member, other_member


def ranking(client, period: str) -> list[tuple[str, int]]:
    rows = client.get(f"/leaderboard/?period={period}").context["rows"]
    return [(row["member"].username, row["points"]) for row in rows]


def test_periods_rank_points_earned(client, earners):
    assert ranking(client, "all") == [("aino", 200), ("eero", 75)]
    assert ranking(client, "30d") == [("eero", 75)]
    assert ranking(client, "7d") == [("eero", 75)]
    assert ranking(client, "bogus") == ranking(client, "all")


def test_spending_does_not_lower_the_ranking_but_reversals_do(client, earners):
    aino, _eero = earners
    points_redeem(member=aino, amount=150, reason="coupon", idempotency_key="spend")
    assert ranking(client, "all")[0] == ("aino", 200)
    entry = aino.point_entries.filter(kind="earn").first()
    points_reverse(entry=entry, reason="review removed")
    cache.clear()  # the cached ranking expires within a minute
    assert ranking(client, "all")[0] == ("aino", 150)


def test_members_can_opt_out(client, earners):
    aino, _eero = earners
    client.force_login(aino)
    client.post("/settings/profile/", {"display_name": "Aino", "bio": ""})  # checkbox left unticked
    aino.refresh_from_db()
    assert not aino.show_on_leaderboard
    assert ranking(client, "all") == [("eero", 75)]


def test_leaderboard_is_in_the_navigation_and_bounded(client, earners, django_assert_max_num_queries):
    for n in range(30):
        person = make_member(f"runner{n}")
        points_grant(member=person, rule_key="review", idempotency_key=f"r:{n}")
    with django_assert_max_num_queries(8):
        response = client.get("/leaderboard/")
    assert len(response.context["rows"]) == 32
    assert '/leaderboard/"' in response.content.decode()  # the header links to it


def test_ranking_is_cached_for_a_minute_but_members_are_read_fresh(
    client, earners, django_assert_num_queries
):
    aino, eero = earners
    with django_assert_num_queries(1):  # all time: the top of the standings, with the members
        leaderboard(period="all")
    with django_assert_num_queries(2):  # a period: the ledger aggregate, then its members
        leaderboard(period="30d")
    assert ranking(client, "all") == [("aino", 200), ("eero", 75)]
    points_grant(member=eero, rule_key="review", idempotency_key="e:3")
    with django_assert_num_queries(1):  # the members only: the ranking comes from the cache
        rows = leaderboard(period="all")
    assert [(row["member"].username, row["points"]) for row in rows] == [("aino", 200), ("eero", 75)]
    # Leaving the leaderboard or renaming oneself shows at once, cache or not.
    profile_update(member=aino, display_name="Aino V.", bio="", show_on_leaderboard=False)
    profile_update(member=eero, display_name="Eero K.", bio="")
    response = client.get("/leaderboard/")
    assert [row["member"].username for row in response.context["rows"]] == ["eero"]
    assert "Eero K." in response.content.decode()
    assert "updated every minute" in response.content.decode()
    cache.clear()  # what expiry does
    assert ranking(client, "all") == [("eero", 125)]


def test_members_off_the_board_at_the_top_do_not_shorten_it(db, django_assert_num_queries):
    now = timezone.now()
    people = [make_member(f"climber{n}") for n in range(20)]
    for n, person in enumerate(people):  # climber0 earns least, climber19 most
        points_grant(
            member=person, rule_key="purchase", units=10 * (n + 1), idempotency_key=f"c:{n}", now=now
        )
    for person in people[5:]:  # the fifteen best left the leaderboard
        profile_update(member=person, display_name="", bio="", show_on_leaderboard=False)
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    with django_assert_num_queries(4):  # the first window (13) is all opted out: a second is read
        rows = leaderboard(period="30d", limit=3, now=now)
    expected = [(1, "climber4", 50), (2, "climber3", 40), (3, "climber2", 30)]
    assert [(row["rank"], row["member"].username, row["points"]) for row in rows] == expected
    # All time filters the members in the same single query as the ranking.
    with django_assert_num_queries(1):
        rows = leaderboard(period="all", limit=3, now=now)
    assert [(row["rank"], row["member"].username, row["points"]) for row in rows] == expected
    assert [row["member"].username for row in leaderboard(period="30d", limit=10, now=now)] == [
        "climber4",
        "climber3",
        "climber2",
        "climber1",
    ]


def test_periods_are_closed_ranges_ending_now(db):
    now = timezone.now()
    aino = make_member("aino")
    points_grant(
        member=aino, rule_key="review", idempotency_key="old", now=now - timedelta(days=7, minutes=1)
    )
    points_grant(member=aino, rule_key="review", idempotency_key="edge", now=now - timedelta(days=7))
    points_grant(member=aino, rule_key="review", idempotency_key="late", now=now + timedelta(minutes=1))
    assert [row["points"] for row in leaderboard(period="7d", now=now)] == [50]
    assert [row["points"] for row in leaderboard(period="all", now=now + timedelta(minutes=1))] == [150]


def test_empty_period_has_an_empty_state(client, db):
    assert b"No points earned in this period yet" in client.get("/leaderboard/?period=7d").content
