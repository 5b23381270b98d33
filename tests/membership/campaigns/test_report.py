"""The campaign report's arithmetic (membership/campaigns/report.py) on hand-built data: the
intervals against a published worked example and hand computations, then the windows, refunds,
currencies and the too-small rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from membership.campaigns.report import (
    DAY,
    MIN_CONVERSIONS,
    MIN_MEMBERS,
    Interval,
    Purchases,
    Rows,
    TooSmall,
    Verdict,
    campaign_report,
    main_currency,
    newcombe_difference,
    verdict_of,
    welch_interval,
    wilson_interval,
)

T0 = 1_700_000_000  # entered_at of the rows below, Unix seconds


# --- intervals --------------------------------------------------------------------------------


def test_wilson_interval_by_hand():
    # 56/70, z = 1.959964, z² = 3.841459:
    # centre = (56 + z²/2) / (70 + z²) = 57.920730 / 73.841459 = 0.784393
    # half   = z · sqrt(56·14/70 + z²/4) / (70 + z²) = 1.959964 · sqrt(12.160365) / 73.841459
    #        = 0.092559  →  0.6918 to 0.8770 (Newcombe 1998, Table II's first example's arms)
    interval = wilson_interval(56, 70)
    assert interval.low == pytest.approx(0.6918, abs=5e-5)
    assert interval.high == pytest.approx(0.8770, abs=5e-5)
    # 48/80 → 0.4905 to 0.7004
    interval = wilson_interval(48, 80)
    assert interval.low == pytest.approx(0.4905, abs=5e-5)
    assert interval.high == pytest.approx(0.7004, abs=5e-5)


def test_wilson_interval_at_the_ends_stays_inside_zero_one():
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(10, 10).high == 1.0
    # 0/10: upper = z² / (10 + z²) = 3.841459 / 13.841459 = 0.2775
    assert wilson_interval(0, 10).high == pytest.approx(0.2775, abs=5e-5)
    with pytest.raises(ValueError, match="at least one trial"):
        wilson_interval(0, 0)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        # Newcombe RG (1998) Interval estimation for the difference between independent
        # proportions: comparison of eleven methods. Statistics in Medicine 17:873–890,
        # Table II, method 10 (hybrid score). The difference of the first is 56/70 − 48/80 =
        # 0.2000; its interval is 0.0524 to 0.3339.
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
    ],
)
def test_newcombe_difference_matches_the_published_table(x1, n1, x2, n2, low, high):
    interval = newcombe_difference(x1, n1, x2, n2)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_newcombe_difference_by_hand_from_the_wilson_limits():
    # d = 0.8 − 0.6 = 0.2; L = d − sqrt((0.8 − 0.69183)² + (0.70038 − 0.6)²) = 0.2 − 0.14757
    one, two = wilson_interval(56, 70), wilson_interval(48, 80)
    expected_low = 0.2 - math.sqrt((0.8 - one.low) ** 2 + (two.high - 0.6) ** 2)
    expected_high = 0.2 + math.sqrt((one.high - 0.8) ** 2 + (0.6 - two.low) ** 2)
    interval = newcombe_difference(56, 70, 48, 80)
    assert interval.low == pytest.approx(expected_low, abs=1e-12)
    assert interval.high == pytest.approx(expected_high, abs=1e-12)


def test_welch_interval_by_hand():
    a = np.array([0, 0, 0, 12.5, 30, 0, 45, 0, 0, 20.0])
    b = np.array([0, 10, 0, 0, 0, 0, 5, 0, 0, 0.0])
    # mean(a) = 10.75, mean(b) = 1.5, d = 9.25
    # s1² = (3481.25 − 10 · 10.75²) / 9 = 258.4028;  s2² = (125 − 10 · 1.5²) / 9 = 11.3889
    # se² = 25.84028 + 1.13889 = 26.97917, se = 5.194148
    # df = se⁴ / (25.84028² / 9 + 1.13889² / 9) = 727.876 / 74.336 = 9.7918
    # t(0.975, 9.7918) = 2.23459 → half = 11.60672 → −2.3567 to 20.8567
    # (scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval() gives the same.)
    interval = welch_interval(a, b)
    assert interval.low == pytest.approx(-2.3567, abs=5e-5)
    assert interval.high == pytest.approx(20.8567, abs=5e-5)


def test_welch_interval_without_spread_is_exact():
    assert welch_interval(np.full(5, 2.0), np.full(5, 2.0)) == Interval(0.0, 0.0)


def test_verdict_of_an_interval():
    assert verdict_of(Interval(0.01, 0.2)) == Verdict.MORE
    assert verdict_of(Interval(-0.2, -0.01)) == Verdict.LESS
    assert verdict_of(Interval(-0.1, 0.1)) == Verdict.NO_DIFFERENCE


# --- the report -------------------------------------------------------------------------------


def _rows(treatment: int, holdout: int, *, entered_at: int = T0, **flags) -> Rows:
    """Members 0 … treatment-1 in the treatment group, the next ``holdout`` held out."""
    n = treatment + holdout
    return Rows.build(
        member=list(range(n)),
        treatment=[i < treatment for i in range(n)],
        entered_at=[entered_at] * n,
        **flags,
    )


def _report(rows: Rows, purchases: Purchases, *, as_of: int = T0 + 90 * DAY, holdout_percent: int = 10):
    return campaign_report(
        rows,
        purchases,
        as_of=as_of,
        holdout_percent=holdout_percent,
        opens_reported=False,
        fallback_currency="EUR",
    )


def test_the_window_is_open_at_entry_and_closed_at_its_end():
    rows = _rows(1, 1)
    purchases = Purchases.build(
        [
            (0, T0, 1000, "EUR"),  # at the moment of entry: before the campaign, not counted
            (1, T0 + 7 * DAY, 500, "EUR"),  # the last second of the 7-day window: counted
        ]
    )
    seven = _report(rows, purchases).windows[0]
    assert seven.days == 7
    assert (seven.treatment.converted, seven.treatment.revenue_cents) == (0, 0)
    assert (seven.holdout.converted, seven.holdout.revenue_cents) == (1, 500)


def test_a_member_converting_in_several_windows_counts_once_in_each():
    rows = _rows(1, 1)
    purchases = Purchases.build(
        [
            (0, T0 + 1 * DAY, 1000, "EUR"),
            (0, T0 + 2 * DAY, 2000, "EUR"),  # a second order in the same window: still one member
            (0, T0 + 20 * DAY, 4000, "EUR"),
        ]
    )
    seven, thirty, sixty = _report(rows, purchases).windows
    assert (seven.treatment.converted, seven.treatment.revenue_cents) == (1, 3000)
    assert (thirty.treatment.converted, thirty.treatment.revenue_cents) == (1, 7000)
    assert (sixty.treatment.converted, sixty.treatment.revenue_cents) == (1, 7000)
    assert sixty.treatment.conversion == 1.0
    assert sixty.treatment.revenue_per_member == 70.0
    assert sixty.holdout.converted == 0


def test_orders_refunded_in_full_never_convert_and_partial_refunds_count_net():
    rows = _rows(2, 0)
    purchases = Purchases.build(
        [
            (0, T0 + DAY, 5000, "EUR", True),  # refunded in full (its net total may still be listed)
            (1, T0 + DAY, 1200, "EUR", False),  # partially refunded: 12.00 of it kept
        ]
    )
    seven = _report(rows, purchases).windows[0]
    assert seven.treatment.converted == 1
    assert seven.treatment.revenue_cents == 1200
    assert seven.treatment.revenue_per_member == 6.0  # 12.00 / 2 members


def test_only_rows_whose_window_has_elapsed_are_counted():
    # Three rows entered 40 days before as_of, two entered 10 days before.
    as_of = T0 + 100 * DAY
    early, late = as_of - 40 * DAY, as_of - 10 * DAY
    rows = Rows.build(
        member=[0, 1, 2, 3, 4],
        treatment=[True] * 5,
        entered_at=[early, early, early, late, late],
    )
    purchases = Purchases.build([(3, late + DAY, 100, "EUR"), (0, early + 35 * DAY, 100, "EUR")])
    seven, thirty, sixty = _report(rows, purchases, as_of=as_of).windows
    assert (seven.treatment.members, seven.treatment.waiting, seven.treatment.converted) == (5, 0, 1)
    assert (thirty.treatment.members, thirty.treatment.waiting, thirty.treatment.converted) == (3, 2, 0)
    assert (sixty.treatment.members, sixty.treatment.waiting) == (0, 5)
    assert sixty.treatment.conversion is None
    assert sixty.verdict == Verdict.NO_HOLDOUT  # no holdout row at all


def test_uplift_with_enough_members_and_conversions():
    # 100 recipients, 30 bought 20.00 each within 7 days; 100 held out, 15 bought 20.00 each.
    rows = _rows(100, 100)
    purchases = Purchases.build(
        [(i, T0 + DAY, 2000, "EUR") for i in range(30)]
        + [(100 + i, T0 + DAY, 2000, "EUR") for i in range(15)]
    )
    report = _report(rows, purchases)
    seven = report.windows[0]
    assert seven.too_small == ()
    assert seven.uplift is not None
    # 0.30 − 0.15 = +15 points; Newcombe's interval from the two Wilson intervals.
    assert seven.uplift.conversion == pytest.approx(0.15)
    assert seven.uplift.conversion_interval == newcombe_difference(30, 100, 15, 100)
    # Wilson 30/100: 0.21895 to 0.39585; 15/100: 0.09306 to 0.23284.
    # L = 0.15 − sqrt(0.08105² + 0.08284²) = 0.15 − 0.11589 = 0.0341
    # U = 0.15 + sqrt(0.09585² + 0.05694²) = 0.15 + 0.11149 = 0.2615
    assert seven.uplift.conversion_interval.low == pytest.approx(0.0341, abs=5e-4)
    assert seven.uplift.conversion_interval.high == pytest.approx(0.2615, abs=5e-4)
    assert seven.verdict == Verdict.MORE  # the interval lies above zero
    # Revenue per member 6.00 vs 3.00: +3.00, Welch on the per-member amounts (0 or 20).
    assert seven.treatment.revenue_per_member == 6.0
    assert seven.holdout.revenue_per_member == 3.0
    assert seven.uplift.revenue_per_member == pytest.approx(3.0)
    treatment = np.array([20.0] * 30 + [0.0] * 70)
    holdout = np.array([20.0] * 15 + [0.0] * 85)
    assert seven.uplift.revenue_interval == welch_interval(treatment, holdout)
    assert seven.uplift.revenue_verdict == Verdict.MORE
    # The 30- and 60-day windows hold the same orders.
    assert report.windows[2].uplift == seven.uplift


def test_no_difference_when_the_interval_holds_zero():
    rows = _rows(100, 100)
    purchases = Purchases.build(
        [(i, T0 + DAY, 2000, "EUR") for i in range(20)]
        + [(100 + i, T0 + DAY, 2000, "EUR") for i in range(18)]
    )
    seven = _report(rows, purchases).windows[0]
    assert seven.uplift is not None
    assert seven.verdict == Verdict.NO_DIFFERENCE
    assert seven.uplift.conversion_interval.contains(0.0)


def test_too_few_members_shows_no_uplift():
    # 29 in the holdout: one short of MIN_MEMBERS, however many conversions.
    assert MIN_MEMBERS == 30
    rows = _rows(100, 29)
    purchases = Purchases.build(
        [(i, T0 + DAY, 2000, "EUR") for i in range(50)]
        + [(100 + i, T0 + DAY, 2000, "EUR") for i in range(10)]
    )
    seven = _report(rows, purchases).windows[0]
    assert seven.verdict == Verdict.TOO_SMALL
    assert seven.too_small == (TooSmall.FEW_HOLDOUT,)
    assert seven.uplift is None


def test_too_few_conversions_shows_no_uplift():
    assert MIN_CONVERSIONS == 5
    rows = _rows(100, 100)
    purchases = Purchases.build(
        [(i, T0 + DAY, 2000, "EUR") for i in range(40)] + [(100 + i, T0 + DAY, 2000, "EUR") for i in range(4)]
    )
    seven = _report(rows, purchases).windows[0]
    assert seven.verdict == Verdict.TOO_SMALL
    assert seven.too_small == (TooSmall.FEW_HOLDOUT_CONVERSIONS,)
    assert seven.uplift is None
    # One more holdout conversion and the figure is shown.
    purchases = Purchases.build(
        [(i, T0 + DAY, 2000, "EUR") for i in range(40)] + [(100 + i, T0 + DAY, 2000, "EUR") for i in range(5)]
    )
    assert _report(rows, purchases).windows[0].uplift is not None


def test_a_zero_percent_holdout_is_never_compared():
    rows = _rows(200, 0)
    purchases = Purchases.build([(i, T0 + DAY, 2000, "EUR") for i in range(50)])
    report = _report(rows, purchases, holdout_percent=0)
    assert {window.verdict for window in report.windows} == {Verdict.NO_HOLDOUT}
    assert all(window.uplift is None for window in report.windows)
    assert report.windows[0].treatment.conversion == 0.25


def test_not_yet_when_no_window_has_elapsed():
    rows = _rows(100, 100)
    report = _report(rows, Purchases.build([]), as_of=T0 + 3 * DAY)
    assert {window.verdict for window in report.windows} == {Verdict.NOT_YET}
    assert report.windows[0].treatment.waiting == 100


def test_revenue_in_the_main_currency_and_the_others_listed():
    rows = _rows(3, 0)
    purchases = Purchases.build(
        [
            (0, T0 + DAY, 1000, "EUR"),
            (1, T0 + DAY, 2000, "EUR"),
            (2, T0 + DAY, 9900, "SEK"),  # converts, but its money is not added to euros
            (2, T0 + 100 * DAY, 5000, "SEK"),  # outside every window: not listed
        ]
    )
    report = _report(rows, purchases, as_of=T0 + 200 * DAY)
    assert report.currency == "EUR"
    seven = report.windows[0]
    assert seven.treatment.converted == 3
    assert seven.treatment.revenue_cents == 3000
    assert [(other.currency, other.orders, other.cents) for other in report.other_currencies] == [
        ("SEK", 1, 9900)
    ]


def test_main_currency_most_orders_ties_alphabetical_refunds_ignored():
    purchases = Purchases.build(
        [(0, T0, 1, "SEK"), (0, T0, 1, "EUR"), (0, T0, 1, "USD", True), (0, T0, 1, "USD", True)]
    )
    assert main_currency(purchases, fallback="GBP") == "EUR"
    assert main_currency(Purchases.build([]), fallback="GBP") == "GBP"


def test_group_summaries_intention_to_treat_coupons_and_opens():
    rows = Rows.build(
        member=[0, 1, 2, 3, 4],
        treatment=[True, True, True, True, False],
        entered_at=[T0] * 5,
        sent=[True, True, True, False, False],  # the fourth was skipped: still in the group
        coupon_given=[True, True, True, False, False],
        coupon_used=[True, False, False, False, False],
        emailed=[True, True, False, False, False],
        opened=[True, False, False, False, False],
    )
    report = campaign_report(
        rows,
        Purchases.build([]),
        as_of=T0 + 90 * DAY,
        holdout_percent=20,
        opens_reported=True,
        fallback_currency="EUR",
    )
    assert (report.treatment.assigned, report.treatment.sent) == (4, 3)
    assert report.windows[0].treatment.members == 4
    assert (report.treatment.coupons_given, report.treatment.coupons_used) == (3, 1)
    assert report.treatment.coupon_use == 0.25  # 1 of the 4 assigned
    assert report.holdout.coupon_use is None  # no coupon was given: nothing to show
    assert report.treatment.open_rate == 0.5  # 1 of the 2 emailed
    assert report.holdout.open_rate is None
