"""/leaderboard/: members ranked by points earned, all time, 30 days and 7 days; opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from membership.services.points import points_grant, points_redeem, points_reverse
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def earners(member, other_member):
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


def test_empty_period_has_an_empty_state(client, db):
    assert b"No points earned in this period yet" in client.get("/leaderboard/?period=7d").content
