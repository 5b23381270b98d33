"""Gifts in the retention view's programme cost: gifted coupons (given and used, with their value)
and gifted points, by campaigns and by staff, kept apart from coupons taken for points."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from membership.campaigns.gifts import gift_points, gift_reward
from membership.campaigns.models import Campaign, MessageTemplate
from membership.insight import metrics
from membership.insight.metrics import (
    COUPON_BOUGHT,
    COUPON_GIFT_CAMPAIGN,
    COUPON_GIFT_STAFF,
    Coupons,
    GiftedPoints,
)
from membership.insight.refresh import insight_refresh
from membership.insight.report import programme_section
from membership.models import Reward
from membership.services.coupons import coupon_use
from membership.services.points import points_adjust
from membership.services.rewards import reward_redeem
from tests.factories import make_member
from tests.membership.insight.test_metrics import at, history
from tests.membership.insight.test_refresh import AS_OF, order

EMPTY_GIFT = {
    "coupons_given": 0,
    "coupons_given_value": "0.00",
    "coupons_given_unvalued": 0,
    "coupons_used": 0,
    "coupons_used_value": "0.00",
    "coupons_used_unvalued": 0,
    "points": 0,
}


def test_gift_costs_by_source_and_window():
    start, end = at("2025-05-01 00:00"), at("2025-06-01 00:00")
    coupons = Coupons(
        redeemed_at=np.array(
            [at("2025-05-03 12:00"), at("2025-05-04 12:00"), at("2025-05-05 12:00"), at("2025-04-20 12:00")]
        ),
        used_at=np.array([np.nan, at("2025-05-06 12:00"), at("2025-05-07 12:00"), at("2025-05-02 12:00")]),
        # taken for points 10 €; a campaign's 5 €; a campaign's percentage; staff's 20 € from April
        value_cents=np.array([1000, 500, -1, 2000]),
        source=np.array([COUPON_BOUGHT, COUPON_GIFT_CAMPAIGN, COUPON_GIFT_CAMPAIGN, COUPON_GIFT_STAFF]),
    )
    points = GiftedPoints(
        given_at=np.array([at("2025-05-10 12:00"), at("2025-05-11 12:00"), at("2025-03-01 12:00")]),
        points=np.array([100, 40, 999]),
        by_campaign=np.array([True, False, False]),
    )
    costs = metrics.gift_costs(start=start, end=end, coupons=coupons, gifted_points=points)
    assert costs == {
        "campaigns": {
            "coupons_given": 2,
            "coupons_given_value": "5.00",
            "coupons_given_unvalued": 1,
            "coupons_used": 2,
            "coupons_used_value": "5.00",
            "coupons_used_unvalued": 1,
            "points": 100,
        },
        "staff": {
            # given in April (outside), used in May (inside)
            **EMPTY_GIFT,
            "coupons_used": 1,
            "coupons_used_value": "20.00",
            "points": 40,  # the 999 were given in March
        },
    }
    # The programme's coupons taken for points leave the gifts out.
    h = history([(0, "2025-05-02 12:00", "10.00")], customers=1)
    programme = metrics.programme(
        h, start=start, end=end, coupons=coupons, points_liability=0, referred=np.array([False])
    )
    assert (programme["coupons_redeemed"], programme["coupons_redeemed_value"]) == (1, "10.00")
    assert (programme["coupons_used"], programme["coupons_used_value"]) == (0, "0.00")


@pytest.mark.django_db
def test_the_refresh_counts_gifts_by_campaigns_and_by_staff():
    aino, eero = make_member("aino"), make_member("eero")
    staff = make_member("staffer", groups=["Staff"])
    order("G1", aino.email, "2026-01-02 12:00", "30.00")
    points_adjust(member=aino, amount=500, reason="welcome", actor=staff, now=AS_OF - timedelta(days=40))
    five = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=Decimal("5.00"), cost=100)
    message = MessageTemplate.objects.create(name="Gift cost test", key="gift-cost-test")
    campaign = Campaign.objects.create(name="Win-back", message=message)
    reward_redeem(member=aino, reward_id=five.pk, now=AS_OF - timedelta(days=10))
    by_campaign = gift_reward(
        member=aino,
        reward=five,
        reason="We miss you",
        author=None,
        idempotency_key="c1",
        campaign=campaign,
        notify=False,
        now=AS_OF - timedelta(days=9),
    )
    gift_reward(
        member=eero,
        reward=five,
        reason="Sorry about the delay",
        author=staff,
        idempotency_key="s1",
        notify=False,
        now=AS_OF - timedelta(days=8),
    )
    coupon_use(code=by_campaign.redemption.coupon_code, now=AS_OF - timedelta(days=2))
    gift_points(
        member=aino,
        points=50,
        reason="Birthday",
        author=None,
        idempotency_key="c2",
        campaign=campaign,
        notify=False,
        now=AS_OF - timedelta(days=7),
    )
    gift_points(
        member=eero,
        points=30,
        reason="Thanks",
        author=staff,
        idempotency_key="s2",
        notify=False,
        now=AS_OF - timedelta(days=6),
    )

    run = insight_refresh(now=AS_OF)

    period = run.currencies.get().periods["30d"]
    # The coupon taken for points only: the gifts have their own rows.
    assert period["programme"]["coupons_redeemed"] == 1
    assert period["gifts"] == {
        "campaigns": {
            **EMPTY_GIFT,
            "coupons_given": 1,
            "coupons_given_value": "5.00",
            "coupons_used": 1,
            "coupons_used_value": "5.00",
            "points": 50,
        },
        "staff": {**EMPTY_GIFT, "coupons_given": 1, "coupons_given_value": "5.00", "points": 30},
    }
    table = programme_section(period, "EUR").table
    labels = [row[0] for row in table.rows]
    assert "Coupons gifted by campaigns" in labels
    assert "Points gifted by staff" in labels
    assert table.rows[labels.index("Points gifted by campaigns")][1] == 50


def test_a_run_stored_before_gifts_shows_no_gift_rows():
    period = {"programme": {"coupons_redeemed": 0}}
    labels = [row[0] for row in programme_section(period, "EUR").table.rows]
    assert not any("gifted" in str(label) for label in labels)
