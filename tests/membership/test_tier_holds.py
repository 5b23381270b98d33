"""Tier holds: a member is warned (in the app, once per hold) 30 days before their tier's
12-month hold ends while the status points that will still count then are short of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import formats, timezone

from membership.campaigns.models import Campaign
from membership.jobs import PERIODIC_JOBS
from membership.models import MemberStanding, Notification
from membership.selectors import tier_hold_for, tier_holds_ending
from membership.services.points import points_adjust, points_grant
from membership.services.tier_holds import NOTIFICATION_KIND, tier_holds_warn
from tests.factories import make_member
from tests.membership.campaigns.lifecycle_factories import lifecycle

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def staff(db):
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def now():
    return timezone.now()


def reach_silver(member, staff, *, days_ago: int, now) -> None:
    """Silver (500) reached ``days_ago`` days ago by one carried-over balance."""
    points_adjust(member=member, amount=500, reason="carried over", actor=staff, now=now - days_ago * DAY)
    standing = MemberStanding.objects.get(member=member)
    assert standing.tier.slug == "silver"


def warnings_for(member) -> list[Notification]:
    return list(Notification.objects.filter(recipient=member, kind=NOTIFICATION_KIND).order_by("pk"))


def test_a_member_short_30_days_before_the_hold_ends_is_warned_once_with_the_points_needed(
    member, staff, now
):
    # Silver reached 340 days ago: the hold ends in 25 days. Earned since: one review (50 at
    # Silver's 1.1x = 55). When the hold ends the 500 that reached Silver have left the
    # 12-month window, so what counts is 55 of 500: 445 more are needed (although the status
    # today is 555).
    reach_silver(member, staff, days_ago=340, now=now)
    points_grant(member=member, rule_key="review", idempotency_key="r", now=now - 100 * DAY)
    assert MemberStanding.objects.get(member=member).status_points == 555

    assert tier_holds_warn(now=now) == 1

    (note,) = warnings_for(member)
    ends = MemberStanding.objects.get(member=member).tier_reached_at + timedelta(days=365)
    date = formats.date_format(timezone.localdate(ends), "DATE_FORMAT")
    assert note.title == f"445 more status points by {date} keep your Silver tier"
    assert "55 of the 500" in note.body
    assert MemberStanding.objects.get(member=member).tier_warned_for == ends
    # A rerun (the job runs hourly) sends nothing more.
    assert tier_holds_warn(now=now) == 0
    assert tier_holds_warn(now=now + 3 * DAY) == 0
    assert len(warnings_for(member)) == 1


def test_a_member_who_earned_the_threshold_again_since_gets_nothing(member, other_member, staff, now):
    reach_silver(member, staff, days_ago=340, now=now)
    points_grant(member=member, rule_key="purchase", units=500, idempotency_key="p", now=now - 20 * DAY)
    # Hold ends in 40 days: not yet.
    reach_silver(other_member, staff, days_ago=325, now=now)

    assert tier_holds_warn(now=now) == 0
    assert warnings_for(member) == [] and warnings_for(other_member) == []


def test_one_point_short_reads_in_the_singular(member, staff, now):
    reach_silver(member, staff, days_ago=340, now=now)
    points_adjust(member=member, amount=499, reason="correction", actor=staff, now=now - 5 * DAY)
    assert tier_holds_warn(now=now) == 1
    assert warnings_for(member)[0].title.startswith("1 more status point by ")


def test_the_profile_shows_the_same_warning_to_the_member_only(client, member, other_member, staff, now):
    reach_silver(member, staff, days_ago=340, now=now)
    points_grant(member=member, rule_key="review", idempotency_key="r", now=now - 100 * DAY)

    hold = tier_hold_for(MemberStanding.objects.select_related("tier").get(member=member), now=now)
    assert hold is not None and (hold.kept, hold.needed) == (55, 445)

    client.force_login(member)
    own = client.get("/members/aino/").text
    assert 'id="tier-hold"' in own and "Earn 445 more status points by" in own and "to keep Silver." in own
    # The figures say what they count.
    assert "Points to spend" in own and "Status points (count toward your tier, last 12 months)" in own
    assert "Points earned (all time)" in own

    client.force_login(other_member)
    assert 'id="tier-hold"' not in client.get("/members/aino/").text


def test_a_new_hold_gets_its_own_warning(member, staff, now):
    reach_silver(member, staff, days_ago=340, now=now)
    assert tier_holds_warn(now=now) == 1
    # Gold (1500) reached 10 days ago: a new hold, ending in 355 days; warned when it nears.
    points_adjust(member=member, amount=1000, reason="carried over", actor=staff, now=now - 10 * DAY)
    later = now + 340 * DAY
    assert tier_holds_warn(now=later) == 1
    titles = [note.title for note in warnings_for(member)]
    assert len(titles) == 2 and "1500 more status points" in titles[1] and "Gold" in titles[1]


def test_the_job_is_query_bounded_and_registered(member, staff, now, django_assert_max_num_queries):
    members = [make_member(f"m{n}") for n in range(6)]
    for m in members:
        reach_silver(m, staff, days_ago=340, now=now)
    with django_assert_max_num_queries(3):
        # Campaign check, one read of the standings, one points aggregate for all of them.
        assert len(list(tier_holds_ending(now=now))) == 6
    assert tier_holds_warn(now=now) == 6
    with django_assert_max_num_queries(3):
        assert tier_holds_warn(now=now) == 0
    assert "warn of tier holds ending" in {job.name for job in PERIODIC_JOBS}


def test_a_live_lifecycle_campaign_that_warns_in_the_app_replaces_it(member, staff, now):
    # The "tier hold ending" campaign (email and in-app) sends the same figure itself; one
    # notice is enough. Switched to email only, the job warns in the app again.
    reach_silver(member, staff, days_ago=340, now=now)
    campaign = lifecycle(Campaign.Trigger.TIER_HOLD_ENDING)
    assert tier_holds_warn(now=now) == 0
    assert warnings_for(member) == []
    Campaign.objects.filter(pk=campaign.pk).update(send_in_app=False)
    assert tier_holds_warn(now=now) == 1
