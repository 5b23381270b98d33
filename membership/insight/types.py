"""The shapes of the stored results (``models.py`` JSON fields). Money is a decimal string
with two places; rates are floats from 0 to 1; a figure the data cannot support is ``None``,
and pages show it as a dash, never as 0."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

PeriodKey = Literal["30d", "90d", "365d", "all"]
PERIODS: dict[str, int | None] = {"30d": 30, "90d": 90, "365d": 365, "all": None}

Reason = Literal[
    "lapsed",  # judged lapsed: model probability below the threshold, or the recency rule
    "overdue",  # days since the last purchase beyond twice their own usual interval
    "fading",  # probability of being active fell by 0.2 or more in the last 90 days
    "engaging_less",  # community activity in the last 90 days below half of the 90 before
    "negative_review",  # a 1–2 star review in the last 60 days
    "points_expiring",  # spendable points expire within 30 days
    "tier_hold_ending",  # the tier's 12-month hold ends within 30 days, status points short
]
REASONS: tuple[str, ...] = (
    "lapsed",
    "overdue",
    "fading",
    "engaging_less",
    "negative_review",
    "points_expiring",
    "tier_hold_ending",
)


class RunSettings(TypedDict):
    lapse_probability: float
    lapse_days: int
    min_repeat_buyers: int
    holdout_weeks: int


class Figures(TypedDict):
    customers: int  # customers with a purchase up to the period's end
    active_customers: int  # customers who bought in the period
    purchases: int  # purchases in the period
    revenue: str  # net revenue in the period
    repeat_rate: float | None  # customers with 2+ purchases ÷ with 1+, up to the end
    window_repeat_rate: (
        float | None
    )  # of those whose first purchase fell in the period: bought again by as_of
    frequency: float | None  # purchases per customer per year (docs/insight.md)
    aov: str | None  # net revenue ÷ purchases in the period
    historic_clv: str | None  # net revenue up to the end ÷ customers up to the end
    churn_rate: float | None  # lapsed during the period ÷ active at its start
    active_at_start: int
    lapsed: int
    members_share: float | None  # members' net revenue ÷ all net revenue in the period


class Segment(TypedDict):
    customers: int
    active_customers: int
    purchases: int
    revenue: str
    repeat_rate: float | None
    frequency: float | None
    aov: str | None
    historic_clv: str | None


class Programme(TypedDict):
    coupons_redeemed: int  # coupons members took for points in the period
    coupons_redeemed_value: str  # the value of those that can be valued (fixed amount, free product)
    coupons_redeemed_unvalued: int  # of them, counted only: percentage and free-shipping coupons
    coupons_used: int  # coupons the shop reported used in the period
    coupons_used_value: str
    coupons_used_unvalued: int
    points_liability: int  # spendable + pending points outstanding at as_of
    referred_revenue: str  # net revenue in the period from customers who came by referral
    coupon_order_revenue: str  # net revenue in the period on orders that used a coupon


class GiftCost(TypedDict):
    """What gifts (membership/campaigns/gifts.py) cost in the period, from one source."""

    coupons_given: int  # gifted coupons issued in the period
    coupons_given_value: str  # valued like coupons taken for points
    coupons_given_unvalued: int
    coupons_used: int  # gifted coupons the shop reported used in the period
    coupons_used_value: str
    coupons_used_unvalued: int
    points: int  # points gifted in the period


class PeriodReport(TypedDict):
    key: PeriodKey
    start: str | None  # ISO datetime; None for "all"
    end: str  # ISO datetime (= the run's as_of)
    days: int | None
    current: Figures
    previous: Figures | None  # the same length just before; None for "all"
    # "members", "non_members", "engaged", "not_engaged" (engaged: posted, reviewed, reacted
    # or attended an event in the period; only members can be engaged).
    segments: dict[str, Segment]
    programme: Programme
    # Gifts by source: "campaigns" (a campaign gave them) and "staff" (given by hand). Missing
    # in runs stored before gifts existed.
    gifts: NotRequired[dict[str, GiftCost]]


class MonthFigures(TypedDict):
    month: str  # "2026-01"
    customers: int
    active_customers: int
    purchases: int
    revenue: str
    repeat_rate: float | None
    churn_rate: float | None
    active_at_start: int
    lapsed: int


class CohortRow(TypedDict):
    month: str  # month of the first purchase, "2025-01"
    size: int
    retention: list[float | None]  # months 1..12 after it; None where that month has not ended


class TierValue(TypedDict):
    tier_id: int | None  # None: non-members
    tier: str  # tier name; "" for non-members
    customers: int
    historic_clv: str | None
    predicted_clv: str | None


class BgNbdReport(TypedDict):
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


class GammaGammaReport(TypedDict):
    p: float
    q: float
    gamma: float
    customers: int  # repeat buyers it was fitted on


class HoldoutRow(TypedDict):
    frequency: str  # repeat purchases in the calibration period: "0" … "6", "7+"
    customers: int
    actual: float  # mean repeat purchases in the holdout weeks
    predicted: float


class HoldoutReport(TypedDict):
    weeks: int
    calibration_end: str
    rows: list[HoldoutRow]
    total_actual: int
    total_predicted: float


class ModelReport(TypedDict):
    state: Literal["fitted", "too_thin", "failed"]
    unit: Literal["week"]
    customers: int
    repeat_buyers: int
    min_repeat_buyers: int
    bgnbd: BgNbdReport | None
    gamma_gamma: GammaGammaReport | None
    holdout: HoldoutReport | None  # None when the history is too short or too thin for it
    message: str  # why it was not fitted, in English (translated at render time by code)


class ReasonDetail(TypedDict, total=False):
    days_since: int
    usual_interval: int
    was: float
    now: float
    recent: int
    before: int
    rating: int
    date: str
    product: str
    points: int
    tier: str
    status_points: int
    threshold: int
