"""Every retention figure (membership/insight/metrics.py, docs/insight.md) on small hand-built
histories, with the expected figure worked out by hand in the test; then properties that must
hold for any history: rates stay within 0 and 1, a full refund never raises anyone's CLV, and a
non-member's order never changes a member-only figure."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membership.insight import clv, metrics
from membership.insight.metrics import (
    Coupons,
    History,
    LapseRule,
    MemberSignals,
    Orders,
    Predictions,
    TierInfo,
)
from membership.insight.types import PERIODS, ReasonDetail

ZONE = ZoneInfo("Europe/Helsinki")
DAY = 86_400


def at(text: str) -> int:
    """A local wall-clock time in the store's zone, as Unix seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp())


def cents(amount: str) -> int:
    whole, _dot, part = amount.partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def history(rows: list[tuple], customers: int) -> History:
    """rows: (customer, "YYYY-MM-DD HH:MM", "12.34"[, used a coupon])."""
    orders = Orders.build([(row[0], at(row[1]), cents(row[2]), *row[3:]) for row in rows])
    return History(metrics.purchases_from_orders(orders, customers=customers, zone=ZONE), zone=ZONE)


RECENCY = LapseRule(lapse_days=180, lapse_probability=0.3)


# --- purchases --------------------------------------------------------------------------------


def test_same_day_orders_are_one_purchase_on_the_stores_calendar():
    h = history(
        [
            (0, "2025-03-10 09:00", "60.00"),
            (0, "2025-03-10 18:00", "20.00"),
            (0, "2025-03-10 23:30", "5.00"),  # 21:30 UTC
            (0, "2025-03-11 00:30", "10.00"),  # 22:30 UTC: the same UTC day, the next local one
        ],
        customers=1,
    )
    p = h.purchases
    assert p.cents.tolist() == [8500, 1000]
    assert p.orders.tolist() == [3, 1]
    assert p.time.tolist() == [at("2025-03-10 09:00"), at("2025-03-11 00:30")]
    assert p.day[1] - p.day[0] == 1


def test_local_days_across_daylight_saving_changes():
    moments = [at("2025-03-30 00:30"), at("2025-03-30 23:30"), at("2025-10-26 00:30"), at("2025-10-26 23:30")]
    days = metrics.local_days(moments, ZONE)
    assert days[0] == days[1] and days[2] == days[3]
    assert days[2] - days[0] == 210  # 30 March to 26 October


def test_money_is_exact_and_rounded_half_up():
    assert metrics.money(-1205) == "-12.05"
    assert metrics.money_ratio(6001, 2) == "30.01"  # 30.005
    assert metrics.money_ratio(100, 3) == "0.33"
    assert metrics.money_ratio(100, 0) is None


# --- the definitions ----------------------------------------------------------------------------


def repeat_history() -> History:
    return history(
        [
            (0, "2025-01-05 12:00", "10.00"),  # A: twice
            (0, "2025-02-05 12:00", "10.00"),
            (1, "2025-06-01 12:00", "10.00"),  # B: once
            (2, "2025-06-10 12:00", "10.00"),  # C: three times
            (2, "2025-07-01 12:00", "10.00"),
            (2, "2025-08-01 12:00", "10.00"),
            (3, "2025-09-01 12:00", "10.00"),  # D: once
        ],
        customers=4,
    )


def test_repeat_purchase_rate_overall_and_for_a_window_of_first_purchases():
    h = repeat_history()
    end = at("2026-01-01 00:00")
    assert metrics.repeat_purchase_rate(h, end=end) == 2 / 4  # A and C of four
    # First purchase from June on: B, C, D; C came back.
    assert metrics.window_repeat_rate(h, start=at("2025-06-01 00:00"), end=end) == 1 / 3
    # On 20 June: A bought twice; B and C once (C's second purchase is in July).
    assert metrics.repeat_purchase_rate(h, end=at("2025-06-20 00:00")) == 1 / 3
    assert metrics.window_repeat_rate(h, start=at("2025-06-01 00:00"), end=at("2025-06-20 00:00")) == 0.0
    assert metrics.repeat_purchase_rate(h, end=end, mask=np.array([True, True, False, False])) == 1 / 2
    assert metrics.repeat_purchase_rate(h, end=at("2025-01-01 00:00")) is None  # nobody yet


def test_purchase_frequency_is_purchases_after_the_first_per_customer_year():
    h = history(
        [
            (0, "2025-01-01 12:00", "10.00"),
            (0, "2025-04-01 12:00", "10.00"),
            (0, "2025-07-01 12:00", "10.00"),
            (1, "2025-10-01 12:00", "10.00"),
        ],
        customers=2,
    )
    end = at("2026-01-01 00:00")
    # All time: A bought twice after the first, B not at all; A was a customer 365 days, B 92.
    assert metrics.purchase_frequency(h, start=None, end=end) == pytest.approx(2 * 365 / (365 + 92))
    # From 1 July: A's purchase that day is a repeat one, B's first is not; 184 + 92 days.
    start = at("2025-07-01 00:00")
    assert metrics.purchase_frequency(h, start=start, end=end) == pytest.approx(1 * 365 / (184 + 92))
    assert metrics.purchase_frequency(h, start=None, end=at("2025-01-01 18:00")) is None  # 0 days


def test_average_order_value_and_historic_clv():
    h = history(
        [
            (0, "2025-01-10 12:00", "10.00"),
            (0, "2025-02-10 12:00", "20.01"),
            (1, "2025-02-15 12:00", "30.00"),
        ],
        customers=2,
    )
    end = at("2025-06-01 00:00")
    assert metrics.average_order_value(h, start=None, end=end) == "20.00"  # 60.01 / 3
    assert metrics.average_order_value(h, start=at("2025-02-01 00:00"), end=at("2025-03-01 00:00")) == "25.01"
    assert metrics.average_order_value(h, start=at("2025-04-01 00:00"), end=end) is None
    assert metrics.historic_clv(h, end=end).tolist() == [3001, 3000]
    assert metrics.average_historic_clv(h, end=end) == "30.01"  # 60.01 / 2, half up
    assert metrics.average_historic_clv(h, end=at("2025-02-01 00:00")) == "10.00"


def test_members_share_of_sales():
    h = history([(0, "2025-05-01 12:00", "100.00"), (1, "2025-05-02 12:00", "300.00")], customers=2)
    members = np.array([True, False])
    assert metrics.members_share(h, start=None, end=at("2025-06-01 00:00"), members=members) == 0.25
    assert (
        metrics.members_share(h, start=at("2025-05-02 00:00"), end=at("2025-06-01 00:00"), members=members)
        == 0
    )
    assert metrics.members_share(h, start=None, end=at("2025-04-01 00:00"), members=members) is None


# --- churn --------------------------------------------------------------------------------------


def test_churn_by_the_recency_rule():
    h = history(
        [
            (0, "2025-01-01 12:00", "10.00"),  # A: 181 days before 1 July: lapsed already
            (1, "2025-03-15 12:00", "10.00"),  # B: 108 days before 1 July, 200 before 1 October
            (2, "2025-06-15 12:00", "10.00"),  # C: recent throughout
            (3, "2025-08-01 12:00", "10.00"),  # D: not a customer at the start
            (4, "2025-01-02 12:00", "10.00"),  # E: exactly 180 days on 1 July: not lapsed yet
        ],
        customers=5,
    )
    lost = metrics.churn(h, start=at("2025-07-01 12:00"), end=at("2025-10-01 12:00"), rule=RECENCY)
    assert (lost.active_at_start, lost.lapsed) == (3, 2)  # B, C, E active; B and E lapse
    assert lost.rate == 2 / 3
    assert metrics.churn(h, start=None, end=at("2025-10-01 12:00"), rule=RECENCY).rate is None


def test_churn_by_the_models_probability_for_repeat_buyers():
    model = clv.BgNbdParams(r=1.0, alpha=1.0, a=1.0, b=1.0)
    rule = LapseRule(lapse_days=180, lapse_probability=0.3, model=model)
    h = history(
        [
            (0, "2025-01-01 10:00", "10.00"),  # X: t_x = 1 week, T = 3 weeks on 22 January
            (0, "2025-01-08 10:00", "10.00"),
            (1, "2025-01-08 10:00", "10.00"),  # Y: t_x = 1 week, T = 2 weeks
            (1, "2025-01-15 10:00", "10.00"),
            (2, "2024-06-01 10:00", "10.00"),  # Z: one purchase 235 days ago: the recency rule
            (3, "2025-01-20 10:00", "10.00"),  # W: one purchase 2 days ago
        ],
        customers=4,
    )
    snap = h.at(at("2025-01-22 12:00"))
    # P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    alive = metrics.p_alive(snap, model)
    assert alive[0] == pytest.approx(1 / (1 + (4 / 2) ** 2))  # 0.2
    assert alive[1] == pytest.approx(1 / (1 + (3 / 2) ** 2))  # 4/13 = 0.3077
    assert math.isnan(alive[2]) and math.isnan(alive[3])
    assert metrics.lapsed(snap, rule).tolist() == [True, False, True, False]


# --- cohorts and months -------------------------------------------------------------------------


def cohort_history() -> History:
    return history(
        [
            (0, "2025-01-10 12:00", "10.00"),  # A: January cohort
            (0, "2025-02-05 12:00", "20.00"),  # month 1
            (0, "2025-02-20 12:00", "30.00"),  # month 1 again: counted once
            (0, "2025-04-02 12:00", "40.00"),  # month 3, April: not ended on 15 April
            (1, "2025-01-20 12:00", "50.00"),  # B: January cohort
            (1, "2025-03-01 12:00", "60.00"),  # month 2
            (2, "2025-02-14 12:00", "70.00"),  # C: February cohort
            (3, "2025-04-01 12:00", "80.00"),  # D: April cohort
        ],
        customers=4,
    )


def test_cohort_retention_with_months_not_yet_ended():
    rows = metrics.cohorts(cohort_history(), as_of=at("2025-04-15 12:00"))
    assert [(row["month"], row["size"]) for row in rows] == [
        ("2025-01", 2),
        ("2025-02", 1),
        ("2025-03", 0),
        ("2025-04", 1),
    ]
    assert rows[0]["retention"] == [0.5, 0.5] + [None] * 10
    assert rows[1]["retention"] == [0.0] + [None] * 11
    assert rows[2]["retention"] == [None] * 12  # nobody to retain
    assert rows[3]["retention"] == [None] * 12
    # Only the last `count` cohorts up to as_of's month.
    assert [
        row["month"] for row in metrics.cohorts(cohort_history(), as_of=at("2025-04-15 12:00"), count=2)
    ] == [
        "2025-03",
        "2025-04",
    ]


def test_monthly_figures_for_ended_months():
    rows = metrics.monthly(cohort_history(), as_of=at("2025-04-15 12:00"), rule=RECENCY)
    assert [row["month"] for row in rows] == ["2025-01", "2025-02", "2025-03"]
    january, february, march = rows
    assert january == {
        "month": "2025-01",
        "customers": 2,
        "active_customers": 2,
        "purchases": 2,
        "revenue": "60.00",
        "repeat_rate": 0.0,
        "churn_rate": None,  # nobody had bought before January
        "active_at_start": 0,
        "lapsed": 0,
    }
    assert (february["customers"], february["active_customers"], february["purchases"]) == (3, 2, 3)
    assert february["revenue"] == "120.00" and february["repeat_rate"] == 1 / 3
    assert (february["active_at_start"], february["lapsed"], february["churn_rate"]) == (2, 0, 0.0)
    assert (march["customers"], march["active_customers"], march["purchases"], march["revenue"]) == (
        3,
        1,
        1,
        "60.00",
    )
    assert march["repeat_rate"] == 2 / 3 and march["active_at_start"] == 3


# --- tiers and the programme ------------------------------------------------------------------


def test_historic_and_predicted_clv_per_tier_and_for_non_members():
    h = history(
        [
            (0, "2025-01-01 12:00", "100.00"),
            (1, "2025-01-01 12:00", "300.00"),
            (2, "2025-01-01 12:00", "100.00"),
            (3, "2025-01-01 12:00", "50.00"),
        ],
        customers=4,
    )
    tiers = [TierInfo(tier_id=1, name="Member"), TierInfo(tier_id=3, name="Gold")]
    common = {
        "as_of": at("2025-06-01 00:00"),
        "tiers": tiers,
        "customer_tier": np.array([0, 1, 1, -1]),
        "members": np.array([True, True, True, False]),
    }
    rows = metrics.tier_values(h, predicted=np.array([10.0, 20.0, 40.0, 5.0]), **common)
    assert rows == [
        {"tier_id": 1, "tier": "Member", "customers": 1, "historic_clv": "100.00", "predicted_clv": "10.00"},
        {"tier_id": 3, "tier": "Gold", "customers": 2, "historic_clv": "200.00", "predicted_clv": "30.00"},
        {"tier_id": None, "tier": "", "customers": 1, "historic_clv": "50.00", "predicted_clv": "5.00"},
    ]
    assert all(row["predicted_clv"] is None for row in metrics.tier_values(h, predicted=None, **common))


def test_programme_cost_and_pull():
    h = history(
        [
            (0, "2025-05-02 12:00", "40.00", True),  # a referred customer, with a coupon
            (0, "2025-05-02 15:00", "10.00"),  # the same day, no coupon
            (1, "2025-05-10 12:00", "100.00"),
            (1, "2025-04-10 12:00", "999.00", True),  # before the window
        ],
        customers=2,
    )
    start, end = at("2025-05-01 00:00"), at("2025-06-01 00:00")
    coupons = Coupons(
        redeemed_at=np.array(
            [at("2025-05-03 12:00"), at("2025-05-04 12:00"), at("2025-04-01 12:00"), at("2025-05-20 12:00")]
        ),
        used_at=np.array(
            [at("2025-05-05 12:00"), np.nan, at("2025-05-06 12:00"), at("2025-06-02 12:00")], dtype=float
        ),
        # 10 € off; a percentage; a free product priced 25 €; free shipping
        value_cents=np.array([1000, -1, 2500, -1]),
    )
    figures = metrics.programme(
        h, start=start, end=end, coupons=coupons, points_liability=1234, referred=np.array([True, False])
    )
    assert figures == {
        "coupons_redeemed": 3,  # the fixed, percent and shipping coupons (the product's was in April)
        "coupons_redeemed_value": "10.00",
        "coupons_redeemed_unvalued": 2,
        "coupons_used": 2,  # the fixed and the product coupon (shipping was used in June)
        "coupons_used_value": "35.00",
        "coupons_used_unvalued": 0,
        "points_liability": 1234,
        "referred_revenue": "50.00",
        "coupon_order_revenue": "40.00",
    }


# --- the warning signs ------------------------------------------------------------------------


def test_reasons_without_a_model():
    h = history(
        [
            (0, "2025-01-01 12:00", "10.00"),  # A (member): usual interval 30 days, 74 since
            (0, "2025-01-31 12:00", "10.00"),
            (1, "2024-09-01 12:00", "10.00"),  # B (non-member): one purchase 226 days ago
            (2, "2025-04-01 12:00", "10.00"),  # C (member): engaging less, a negative review
            (3, "2025-04-01 12:00", "10.00"),  # D (member): 2 of 4: exactly half is not less
            (4, "2025-04-01 12:00", "10.00"),  # E (non-member): expiring points are members' only
        ],
        customers=5,
    )
    review = ReasonDetail(rating=1, date="2025-04-10", product="Trail shoe")
    expiring = ReasonDetail(points=120, date="2025-05-01")
    signals = MemberSignals(
        activity_recent=np.array([0, 0, 1, 2, 0]),
        activity_before=np.array([0, 0, 3, 4, 0]),
        negative_review={2: review},
        points_expiring={4: expiring},
    )
    members = np.array([True, False, True, True, False])
    codes, details = metrics.reasons(
        h, as_of=at("2025-04-15 12:00"), rule=RECENCY, members=members, signals=signals
    )
    assert codes == [["overdue"], ["lapsed"], ["engaging_less", "negative_review"], [], []]
    assert details[0] == {"overdue": {"days_since": 74, "usual_interval": 30}}
    assert details[1] == {"lapsed": {"days_since": 226}}
    assert details[2] == {"engaging_less": {"recent": 1, "before": 3}, "negative_review": review}


def test_fading_and_lapsed_with_a_model():
    model = clv.BgNbdParams(r=1.0, alpha=10.0, a=1.0, b=3.0)
    rule = LapseRule(lapse_days=180, lapse_probability=0.6, model=model)
    h = history([(0, "2025-01-01 12:00", "10.00"), (0, "2025-03-26 12:00", "10.00")], customers=1)
    # t_x = 84 days = 12 weeks. 90 days before 1 July is 2 April: T = 91 days = 13 weeks; on
    # 1 July T = 181/7 weeks. P(alive) = 1 / (1 + 1/3 * ((10 + T) / (10 + 12)) ** 2).
    was = 1 / (1 + ((10 + 13) / 22) ** 2 / 3)  # 0.733
    now = 1 / (1 + ((10 + 181 / 7) / 22) ** 2 / 3)  # 0.530
    assert was - now >= 0.2
    no_signals = MemberSignals(activity_recent=np.zeros(1, dtype=int), activity_before=np.zeros(1, dtype=int))
    codes, details = metrics.reasons(
        h, as_of=at("2025-07-01 12:00"), rule=rule, members=np.array([True]), signals=no_signals
    )
    # 0.530 < 0.6: lapsed; 97 days since the last purchase is not twice the usual 84: not overdue.
    assert codes == [["lapsed", "fading"]]
    assert details[0]["fading"] == {"was": round(was, 3), "now": round(now, 3)}
    assert details[0]["lapsed"] == {"days_since": 97, "now": round(now, 3)}


def test_value_at_risk():
    prediction = Predictions(
        p_alive=np.array([0.25, np.nan, np.nan]),
        expected_purchases_90d=np.array([1.0, 0.5, 0.5]),
        expected_order_value=np.array([50.0, 40.0, 30.0]),
        clv_12m=np.array([100.0, 40.0, 30.0]),
    )
    lapsed_now = np.array([False, True, False])
    # 100 × (1 − 0.25); a lapsed one-time buyer: all of it; one not lapsed: nothing.
    assert metrics.value_at_risk(prediction, lapsed_now=lapsed_now).tolist() == [75.0, 40.0, 0.0]
    assert metrics.value_at_risk(None, lapsed_now=lapsed_now).tolist() == [0.0, 0.0, 0.0]


# --- the model --------------------------------------------------------------------------------


def simulated(customers: int = 400, seed: int = 7) -> tuple[History, int]:
    """Purchases drawn from the BG/NBD story (rates ~ Gamma, dropout ~ Beta) over 78 weeks,
    first purchases spread over the first 52, each customer with their own usual spend (as
    Gamma-Gamma tells it)."""
    rng = np.random.default_rng(seed)
    start = at("2024-01-01 12:00")
    rows = []
    for customer in range(customers):
        rate = rng.gamma(0.8, 1 / 4.0)  # purchases per week
        dropout = rng.beta(0.8, 2.5)
        spend = rng.gamma(4.0, 1500.0)  # cents: what this customer usually spends
        moment = rng.uniform(0, 52)
        while moment < 78:
            rows.append((customer, int(start + moment * 7 * DAY), int(rng.gamma(6.0, spend / 6.0)) + 100))
            if rng.random() < dropout:
                break
            moment += rng.exponential(1 / rate)
    orders = Orders.build(rows)
    return History(
        metrics.purchases_from_orders(orders, customers=customers, zone=ZONE), zone=ZONE
    ), start + 78 * 7 * DAY


def test_too_thin_data_fit_no_model():
    h = repeat_history()
    model = metrics.customer_model(h, as_of=at("2026-01-01 00:00"), min_repeat_buyers=30, holdout_weeks=26)
    assert model.report["state"] == "too_thin" and not model.fitted
    assert (model.report["customers"], model.report["repeat_buyers"]) == (4, 2)
    assert "at least 30 repeat buyers" in model.report["message"]
    assert metrics.predictions(h, model, as_of=at("2026-01-01 00:00")) is None


def test_the_model_on_simulated_customers_with_its_holdout_check():
    h, as_of = simulated()
    model = metrics.customer_model(h, as_of=as_of, min_repeat_buyers=30, holdout_weeks=13)
    report = model.report
    assert report["state"] == "fitted" and model.fitted, report["message"]
    assert report["unit"] == "week" and report["customers"] == 400
    assert report["bgnbd"]["r"] > 0 and report["gamma_gamma"]["q"] > 1
    check = report["holdout"]
    assert check is not None and check["weeks"] == 13
    calibration = h.at(as_of - 13 * 7 * DAY)
    assert sum(row["customers"] for row in check["rows"]) == int(calibration.customers.sum())
    assert check["total_actual"] == int((h.at(as_of).count - calibration.count).sum())
    # The model should predict the holdout's repeat purchases within a fair margin.
    assert check["total_predicted"] == pytest.approx(check["total_actual"], rel=0.35)

    predicted = metrics.predictions(h, model, as_of=as_of)
    assert predicted is not None
    snapshot = h.at(as_of)
    repeat = snapshot.count >= 2
    assert np.all((predicted.p_alive[repeat] > 0) & (predicted.p_alive[repeat] <= 1))
    assert np.all(np.isnan(predicted.p_alive[~repeat]))
    frequency, recency, age = metrics.rfm(snapshot)
    expected_year = clv.bgnbd_expected_purchases(model.bgnbd, 365 / 7, frequency, recency, age)
    assert predicted.clv_12m == pytest.approx(expected_year * predicted.expected_order_value)


# --- properties -------------------------------------------------------------------------------

BASE = at("2024-01-01 00:00")
AS_OF = BASE + 520 * DAY

order_rows = st.lists(
    st.tuples(
        st.integers(0, 5),  # customer
        st.integers(0, 515 * 24),  # hours after BASE
        st.integers(0, 50_000),  # cents
        st.booleans(),  # coupon
    ),
    min_size=1,
    max_size=40,
)
member_flags = st.lists(st.booleans(), min_size=6, max_size=6)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def built(rows: list[tuple[int, int, int, bool]], customers: int = 6) -> History:
    orders = Orders.build([(c, BASE + hours * 3600, amount, coupon) for c, hours, amount, coupon in rows])
    return History(metrics.purchases_from_orders(orders, customers=customers, zone=ZONE), zone=ZONE)


def windows() -> list[tuple[int | None, int]]:
    spans = [(None if days is None else AS_OF - days * DAY, AS_OF) for days in PERIODS.values()]
    return spans + [(AS_OF - 180 * DAY, AS_OF - 90 * DAY)]


@FAST
@given(rows=order_rows, flags=member_flags)
def test_every_rate_is_between_zero_and_one(rows, flags):
    h = built(rows)
    members = np.array(flags)
    rates = []
    for start, end in windows():
        f = metrics.figures(h, start=start, end=end, rule=RECENCY, members=members)
        rates += [f["repeat_rate"], f["window_repeat_rate"], f["churn_rate"], f["members_share"]]
        assert f["lapsed"] <= f["active_at_start"] <= f["customers"]
        assert f["active_customers"] <= f["customers"]
    for month in metrics.monthly(h, as_of=AS_OF, rule=RECENCY):
        rates += [month["repeat_rate"], month["churn_rate"]]
    for cohort in metrics.cohorts(h, as_of=AS_OF):
        rates += cohort["retention"]
    assert all(rate is None or 0 <= rate <= 1 for rate in rates)


@FAST
@given(rows=order_rows, data=st.data())
def test_a_full_refund_never_raises_anyones_clv(rows, data):
    before = metrics.historic_clv(built(rows), end=AS_OF)
    refunded = data.draw(st.integers(0, len(rows) - 1))
    # Refunded in full, the order is no purchase at all; partly, it is worth less.
    after_full = metrics.historic_clv(built(rows[:refunded] + rows[refunded + 1 :]), end=AS_OF)
    partial = [*rows]
    customer, hours, amount, coupon = partial[refunded]
    partial[refunded] = (customer, hours, data.draw(st.integers(0, amount)), coupon)
    after_partial = metrics.historic_clv(built(partial), end=AS_OF)
    assert np.all(after_full <= before) and np.all(after_partial <= before)


@FAST
@given(
    rows=order_rows,
    flags=member_flags,
    extra=st.tuples(st.integers(0, 6), st.integers(0, 515 * 24), st.integers(0, 50_000), st.booleans()),
)
def test_a_non_members_order_never_changes_a_member_only_figure(rows, flags, extra):
    customer = extra[0]
    if customer < 6 and flags[customer]:
        customer = 6  # a new non-member customer (index 6) instead of a member
    members = np.array([*flags, False])
    engaged = members & np.array([True, False, True, False, True, False, False])
    tiers = [TierInfo(tier_id=1, name="Member"), TierInfo(tier_id=2, name="Gold")]
    customer_tier = np.array([0, 1, 0, 1, 0, 1, -1])

    def member_figures(h: History) -> list:
        found = []
        for start, end in windows():
            for mask in (members, engaged, members & ~engaged):
                found.append(metrics.segment(h, start=start, end=end, mask=mask))
        rows_ = metrics.tier_values(
            h, as_of=AS_OF, tiers=tiers, customer_tier=customer_tier, members=members, predicted=None
        )
        found.append(rows_[:-1])  # the tiers' rows, not the non-members'
        return found

    before = member_figures(built(rows, customers=7))
    after = member_figures(built([*rows, (customer, *extra[1:])], customers=7))
    assert before == after
