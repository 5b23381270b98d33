"""The store's retention figures, computed from purchase histories. docs/insight.md defines each
figure with its formula; this module is that definition in code, nothing else: no database, no
Django models, plain arrays in and plain figures (``types.py`` shapes) out, so every figure can be
checked on a hand-built history.

Terms used throughout:

- A **customer** is an index 0 … n-1 the caller assigned (a member, or a non-member's
  normalised email, in one currency).
- An **order** that counts is one not refunded in full; its value is what the customer still
  pays after refunds, in integer cents (so sums are exact).
- A **purchase** is a customer's counting orders on one calendar day in the store's time zone:
  two orders on the same day are one purchase worth their sum. The buy-till-you-die models
  count at most one purchase per period (Fader, Hardie and Lee aggregate CDNOW to days, then
  weeks), and a customer who comes back the same day for a forgotten item has not "come back";
  so every figure here (repeat rate, frequency, order value, cohorts, churn, the model) counts
  purchases in this sense, and the date of a purchase is that of its first order.
- Moments are Unix seconds; a window is [start, end), start None meaning "since the beginning".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import NDArray

from . import clv
from .types import (
    REASONS,
    BgNbdReport,
    CohortRow,
    Figures,
    GammaGammaReport,
    GiftCost,
    HoldoutReport,
    HoldoutRow,
    ModelReport,
    MonthFigures,
    Programme,
    ReasonDetail,
    Segment,
    TierValue,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DAY = 86_400
DAYS_PER_YEAR = 365
DAYS_PER_WEEK = 7
EXPECTED_PURCHASES_DAYS = 90  # "expected purchases in the next 90 days"
CLV_HORIZON_DAYS = 365  # "predicted 12-month CLV"
COHORT_MONTHS = 12
REPORT_MONTHS = 24
# The warning signs (docs/insight.md, "At risk"); types.REASONS names them.
OVERDUE_FACTOR = 2  # days since the last purchase beyond twice the usual interval
FADING_DAYS = 90  # probability of being active compared with this many days ago
FADING_DROP = 0.2  # … and fallen by at least this much
ENGAGEMENT_DAYS = 90  # activity in the last 90 days against the 90 before
NEGATIVE_REVIEW_DAYS = 60
EXPIRY_WARNING_DAYS = 30  # points expiring, tier hold ending: within 30 days
EPOCH = date(1970, 1, 1)
CENT = Decimal("0.01")
ArrayLikeInt = Sequence[int] | IntArray


# --- money --------------------------------------------------------------------------------


def money(cents: int) -> str:
    """Cents as the two-place decimal string the stored figures use ("-12.05")."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def money_ratio(cents: int, count: int) -> str | None:
    """cents / count as money, rounded half up to the cent; None when count is 0."""
    if count <= 0:
        return None
    return str((Decimal(int(cents)) / Decimal(int(count)) / 100).quantize(CENT, rounding=ROUND_HALF_UP))


def _rate(part: int, whole: int) -> float | None:
    return float(part) / float(whole) if whole > 0 else None


# --- days and months in the store's time zone ----------------------------------------------


def local_days(times: ArrayLikeInt, zone: tzinfo) -> IntArray:
    """The local calendar day of each moment, as days since 1970-01-01, vectorised: the local
    midnights of the span are computed once and each moment is placed among them."""
    moments = np.asarray(times, dtype=np.int64)
    if moments.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Two days either side covers every UTC offset (at most ±14 hours).
    first = datetime.fromtimestamp(int(moments.min()), zone).date() - timedelta(days=2)
    last = datetime.fromtimestamp(int(moments.max()), zone).date() + timedelta(days=2)
    count = (last - first).days + 1
    midnights = np.array(
        [datetime.combine(first + timedelta(days=n), time(), tzinfo=zone).timestamp() for n in range(count)]
    )
    index = np.searchsorted(midnights, moments, side="right") - 1
    return (first - EPOCH).days + index.astype(np.int64)


def local_day(moment: int, zone: tzinfo) -> int:
    return (datetime.fromtimestamp(int(moment), zone).date() - EPOCH).days


def month_index(days: IntArray | int) -> IntArray:
    """Months since January 1970 of local days (2026-01 is 56 * 12 = 672)."""
    array = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]")
    return array.astype(np.int64)


def month_label(index: int) -> str:
    year, month = divmod(int(index), 12)
    return f"{1970 + year:04d}-{month + 1:02d}"


def month_start(index: int, zone: tzinfo) -> int:
    """The moment the month begins: local midnight on its first day."""
    year, month = divmod(int(index), 12)
    return int(datetime(1970 + year, month + 1, 1, tzinfo=zone).timestamp())


# --- orders to purchases -------------------------------------------------------------------


@dataclass(frozen=True)
class Orders:
    """The orders that count (not refunded in full) of one currency, in any order."""

    customer: IntArray  # the customer's index
    time: IntArray  # when it was ordered, Unix seconds
    cents: IntArray  # the total after refunds, in cents
    coupon: BoolArray  # the order used a Kanta coupon

    @classmethod
    def build(cls, rows: Sequence[tuple[int, int, int, bool]] | Sequence[tuple[int, int, int]]) -> Orders:
        """From (customer, time, cents[, coupon]) tuples: for tests and small callers."""
        customer = np.array([row[0] for row in rows], dtype=np.int64)
        moment = np.array([row[1] for row in rows], dtype=np.int64)
        cents = np.array([row[2] for row in rows], dtype=np.int64)
        coupon = np.array([bool(row[3]) if len(row) > 3 else False for row in rows], dtype=np.bool_)
        return cls(customer=customer, time=moment, cents=cents, coupon=coupon)


@dataclass(frozen=True)
class Purchases:
    """One currency's purchases (a customer's orders on one local day), sorted by customer and
    time. ``start[c]`` … ``start[c + 1]`` are customer c's purchases."""

    customers: int
    customer: IntArray
    time: IntArray  # the day's first order
    day: IntArray  # local day number
    cents: IntArray  # the day's orders, after refunds
    coupon_cents: IntArray  # of which on orders that used a coupon
    orders: IntArray  # orders that day
    start: IntArray  # len customers + 1


def purchases_from_orders(orders: Orders, *, customers: int, zone: tzinfo) -> Purchases:
    """Group each customer's orders by local day (see the module docstring)."""
    day = local_days(orders.time, zone)
    order = np.lexsort((orders.time, orders.customer))
    customer = orders.customer[order]
    moment = orders.time[order]
    day = day[order]
    cents = orders.cents[order]
    coupon_cents = np.where(orders.coupon[order], cents, 0)
    if len(customer):
        new = np.ones(len(customer), dtype=np.bool_)
        new[1:] = (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])
        heads = np.flatnonzero(new)
        counts = np.diff(np.append(heads, len(customer)))
        summed = np.add.reduceat(cents, heads)
        coupon_summed = np.add.reduceat(coupon_cents, heads)
    else:
        heads = np.zeros(0, dtype=np.int64)
        counts = summed = coupon_summed = np.zeros(0, dtype=np.int64)
    grouped_customer = customer[heads]
    start = np.searchsorted(grouped_customer, np.arange(customers + 1), side="left").astype(np.int64)
    return Purchases(
        customers=customers,
        customer=grouped_customer.astype(np.int64),
        time=moment[heads].astype(np.int64),
        day=day[heads].astype(np.int64),
        cents=summed.astype(np.int64),
        coupon_cents=coupon_summed.astype(np.int64),
        orders=counts.astype(np.int64),
        start=start,
    )


# --- each customer's history at a moment ---------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Every customer's history before ``at`` (their purchases with time < at). The first
    purchase's fields are the customer's, whatever the moment: read them where ``count`` > 0."""

    at: int
    day: int  # the local day of ``at``
    count: IntArray  # purchases before ``at``
    cents: IntArray  # their value
    last_day: IntArray  # the last purchase before ``at`` (where count > 0)
    last_time: IntArray
    first_day: IntArray  # the first purchase's day
    first_time: IntArray
    first_cents: IntArray

    @property
    def customers(self) -> BoolArray:
        return self.count > 0


class History:
    """One currency's purchases, with each customer's history at any moment. The latest
    ``CACHED`` moments are kept: the figures of a window read its start and end several times,
    and consecutive months share a boundary."""

    CACHED = 16

    def __init__(self, purchases: Purchases, *, zone: tzinfo) -> None:
        self.purchases = purchases
        self.zone = zone
        self._cumulative = np.concatenate([[0], np.cumsum(purchases.cents)]).astype(np.int64)
        self._cache: OrderedDict[int, Snapshot] = OrderedDict()
        first = purchases.start[:-1]
        bought = purchases.start[1:] > first
        self._first_index = first
        self._first_day = self._pick(purchases.day, first, bought)
        self._first_time = self._pick(purchases.time, first, bought)
        self._first_cents = self._pick(purchases.cents, first, bought)

    @property
    def customers(self) -> int:
        return self.purchases.customers

    def _pick(self, values: IntArray, index: IntArray, where: BoolArray) -> IntArray:
        if len(values) == 0:
            return np.zeros(len(index), dtype=np.int64)
        return np.where(where, values[np.minimum(index, len(values) - 1)], 0)

    def at(self, moment: int) -> Snapshot:
        moment = int(moment)
        found = self._cache.get(moment)
        if found is None:
            found = self._cache[moment] = self._snapshot(moment)
            if len(self._cache) > self.CACHED:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(moment)
        return found

    def _snapshot(self, moment: int) -> Snapshot:
        p = self.purchases
        before = p.time < moment
        count = np.bincount(p.customer[before], minlength=p.customers).astype(np.int64)
        first = self._first_index
        last = first + np.maximum(count, 1) - 1
        has = count > 0
        return Snapshot(
            at=moment,
            day=local_day(moment, self.zone),
            count=count,
            cents=self._cumulative[first + count] - self._cumulative[first],
            last_day=self._pick(p.day, last, has),
            last_time=self._pick(p.time, last, has),
            first_day=self._first_day,
            first_time=self._first_time,
            first_cents=self._first_cents,
        )

    def in_window(self, start: int | None, end: int) -> tuple[IntArray, IntArray]:
        """Per customer: purchases in [start, end) and their value in cents."""
        e = self.at(end)
        if start is None:
            return e.count, e.cents
        s = self.at(start)
        return e.count - s.count, e.cents - s.cents

    def coupon_cents_in_window(self, start: int | None, end: int, mask: BoolArray | None = None) -> int:
        p = self.purchases
        chosen = p.time < end
        if start is not None:
            chosen &= p.time >= start
        if mask is not None:
            chosen &= mask[p.customer]
        return int(p.coupon_cents[chosen].sum())


def _select(history: History, mask: BoolArray | None) -> BoolArray:
    return np.ones(history.customers, dtype=np.bool_) if mask is None else mask


# --- the definitions ------------------------------------------------------------------------


def repeat_purchase_rate(history: History, *, end: int, mask: BoolArray | None = None) -> float | None:
    """Customers with two or more purchases before ``end`` ÷ customers with one or more."""
    e = history.at(end)
    chosen = _select(history, mask) & e.customers
    return _rate(int((e.count[chosen] >= 2).sum()), int(chosen.sum()))


def window_repeat_rate(
    history: History, *, start: int | None, end: int, mask: BoolArray | None = None
) -> float | None:
    """Of the customers whose first purchase fell in [start, end): the share who bought again
    before ``end``."""
    e = history.at(end)
    chosen = _select(history, mask) & e.customers
    if start is not None:
        chosen &= e.first_time >= start
    return _rate(int((e.count[chosen] >= 2).sum()), int(chosen.sum()))


def purchase_frequency(
    history: History, *, start: int | None, end: int, mask: BoolArray | None = None
) -> float | None:
    """Purchases per customer per year: each customer's purchases after their first one, in
    the window, divided by the years they were a customer in the window (days from the day of
    their first purchase, or of the window's start if later, to the day of its end, ÷ 365). A
    rate per customer-year, so a short window and a long one measure the same thing, and a
    customer just acquired adds little time and no purchase."""
    e = history.at(end)
    chosen = _select(history, mask) & e.customers
    count, _cents = history.in_window(start, end)
    first_inside = e.first_time >= start if start is not None else np.ones(history.customers, dtype=np.bool_)
    repeat = count - (first_inside & (count > 0)).astype(np.int64)
    since = e.first_day if start is None else np.maximum(e.first_day, local_day(start, history.zone))
    exposure = np.clip(e.day - since, 0, None)
    days = int(exposure[chosen].sum())
    if days <= 0:
        return None
    return float(repeat[chosen].sum()) * DAYS_PER_YEAR / days


def average_order_value(
    history: History, *, start: int | None, end: int, mask: BoolArray | None = None
) -> str | None:
    """Net revenue ÷ purchases in the window."""
    count, cents = history.in_window(start, end)
    chosen = _select(history, mask)
    return money_ratio(int(cents[chosen].sum()), int(count[chosen].sum()))


def historic_clv(history: History, *, end: int) -> IntArray:
    """Each customer's net revenue since their first purchase, up to ``end``, in cents."""
    return history.at(end).cents


def average_historic_clv(history: History, *, end: int, mask: BoolArray | None = None) -> str | None:
    """Net revenue before ``end`` ÷ customers before ``end``."""
    e = history.at(end)
    chosen = _select(history, mask) & e.customers
    return money_ratio(int(e.cents[chosen].sum()), int(chosen.sum()))


def members_share(history: History, *, start: int | None, end: int, members: BoolArray) -> float | None:
    """Members' net revenue ÷ all net revenue in the window."""
    _count, cents = history.in_window(start, end)
    total = int(cents.sum())
    return _rate(int(cents[members].sum()), total) if total > 0 else None


# --- churn ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LapseRule:
    """How a customer is judged lapsed at a moment (docs/insight.md, "Churn")."""

    lapse_days: int
    lapse_probability: float
    model: clv.BgNbdParams | None = None


def rfm(snapshot: Snapshot) -> tuple[FloatArray, FloatArray, FloatArray]:
    """BG/NBD inputs in weeks for every customer (zeros where they have no purchase yet):
    repeat purchases, first-to-last purchase and first purchase to the snapshot's day."""
    has = snapshot.customers
    frequency = np.where(has, snapshot.count - 1, 0).astype(np.float64)
    recency = np.where(has, snapshot.last_day - snapshot.first_day, 0) / DAYS_PER_WEEK
    age = np.where(has, snapshot.day - snapshot.first_day, 0) / DAYS_PER_WEEK
    return frequency, recency.astype(np.float64), age.astype(np.float64)


def p_alive(snapshot: Snapshot, model: clv.BgNbdParams) -> FloatArray:
    """The model's probability that each customer with two or more purchases is still a
    customer; NaN for the others (for one purchase the model says 1, which it cannot support)."""
    frequency, recency, age = rfm(snapshot)
    repeat = snapshot.count >= 2
    result = np.full(len(frequency), np.nan)
    if repeat.any():
        result[repeat] = clv.bgnbd_p_alive(model, frequency[repeat], recency[repeat], age[repeat])
    return result


def lapsed(snapshot: Snapshot, rule: LapseRule) -> BoolArray:
    """Lapsed at the snapshot: the model's probability below the threshold for customers with
    two or more purchases when the model is fitted; otherwise the last purchase more than
    ``lapse_days`` days before the snapshot's day. False for customers with no purchase yet."""
    recency = snapshot.customers & (snapshot.day - snapshot.last_day > rule.lapse_days)
    if rule.model is None:
        return recency
    alive = p_alive(snapshot, rule.model)
    return np.where(snapshot.count >= 2, alive < rule.lapse_probability, recency)


@dataclass(frozen=True)
class Churn:
    active_at_start: int
    lapsed: int
    rate: float | None


def churn(
    history: History, *, start: int | None, end: int, rule: LapseRule, mask: BoolArray | None = None
) -> Churn:
    """Customers active at ``start`` (a purchase before it, not lapsed) who are lapsed at
    ``end`` ÷ customers active at ``start``. None for a window with no start."""
    if start is None:
        return Churn(active_at_start=0, lapsed=0, rate=None)
    s, e = history.at(start), history.at(end)
    active = _select(history, mask) & s.customers & ~lapsed(s, rule)
    gone = active & lapsed(e, rule)
    return Churn(
        active_at_start=int(active.sum()),
        lapsed=int(gone.sum()),
        rate=_rate(int(gone.sum()), int(active.sum())),
    )


# --- figures for a window -------------------------------------------------------------------


def segment(history: History, *, start: int | None, end: int, mask: BoolArray) -> Segment:
    """The figures of one group of customers (members, engaged members …) for a window."""
    e = history.at(end)
    count, cents = history.in_window(start, end)
    chosen = mask & e.customers
    return Segment(
        customers=int(chosen.sum()),
        active_customers=int((count[chosen] > 0).sum()),
        purchases=int(count[chosen].sum()),
        revenue=money(int(cents[chosen].sum())),
        repeat_rate=repeat_purchase_rate(history, end=end, mask=mask),
        frequency=purchase_frequency(history, start=start, end=end, mask=mask),
        aov=average_order_value(history, start=start, end=end, mask=mask),
        historic_clv=average_historic_clv(history, end=end, mask=mask),
    )


def figures(history: History, *, start: int | None, end: int, rule: LapseRule, members: BoolArray) -> Figures:
    """Every headline figure of one window (types.Figures)."""
    e = history.at(end)
    count, cents = history.in_window(start, end)
    lost = churn(history, start=start, end=end, rule=rule)
    return Figures(
        customers=int(e.customers.sum()),
        active_customers=int((count > 0).sum()),
        purchases=int(count.sum()),
        revenue=money(int(cents.sum())),
        repeat_rate=repeat_purchase_rate(history, end=end),
        window_repeat_rate=window_repeat_rate(history, start=start, end=end),
        frequency=purchase_frequency(history, start=start, end=end),
        aov=average_order_value(history, start=start, end=end),
        historic_clv=average_historic_clv(history, end=end),
        churn_rate=lost.rate,
        active_at_start=lost.active_at_start,
        lapsed=lost.lapsed,
        members_share=members_share(history, start=start, end=end, members=members),
    )


# --- months and cohorts ---------------------------------------------------------------------


def report_months(history: History, *, as_of: int, months: int = REPORT_MONTHS) -> list[int]:
    """The months the monthly series covers: the ``months`` calendar months that ended before
    ``as_of``'s month, from the month of the first purchase on."""
    current = int(month_index(local_day(as_of, history.zone)))
    p = history.purchases
    if len(p.day) == 0:
        return []
    first = int(month_index(int(p.day.min())))
    return [m for m in range(current - months, current) if m >= first]


def monthly(
    history: History, *, as_of: int, rule: LapseRule, months: int = REPORT_MONTHS
) -> list[MonthFigures]:
    """Per calendar month (``report_months``): customers up to its end, buyers and purchases in
    it, net revenue, the repeat rate at its end, and churn over the month."""
    rows: list[MonthFigures] = []
    for m in report_months(history, as_of=as_of, months=months):
        start, end = month_start(m, history.zone), month_start(m + 1, history.zone)
        e = history.at(end)
        count, cents = history.in_window(start, end)
        lost = churn(history, start=start, end=end, rule=rule)
        rows.append(
            MonthFigures(
                month=month_label(m),
                customers=int(e.customers.sum()),
                active_customers=int((count > 0).sum()),
                purchases=int(count.sum()),
                revenue=money(int(cents.sum())),
                repeat_rate=repeat_purchase_rate(history, end=end),
                churn_rate=lost.rate,
                active_at_start=lost.active_at_start,
                lapsed=lost.lapsed,
            )
        )
    return rows


def cohorts(
    history: History, *, as_of: int, count: int = REPORT_MONTHS, months: int = COHORT_MONTHS
) -> list[CohortRow]:
    """Customers grouped by the calendar month of their first purchase (the last ``count``
    months up to ``as_of``'s, from the first purchase's month on); for each cohort, the share
    who purchased in month 1 … ``months`` after it. None for a month that has not ended by
    ``as_of`` (and for an empty cohort)."""
    p = history.purchases
    current = int(month_index(local_day(as_of, history.zone)))
    if len(p.day) == 0:
        return []
    first_cohort = max(current - count + 1, int(month_index(int(p.day.min()))))
    e = history.at(as_of)
    has = e.customers
    cohort_of = np.where(has, month_index(e.first_day), -1)
    sizes = np.bincount(
        (cohort_of[has & (cohort_of >= first_cohort)] - first_cohort).astype(np.int64),
        minlength=current - first_cohort + 1,
    )
    purchase_month = month_index(p.day)
    offset = purchase_month - cohort_of[p.customer]
    keep = (offset >= 1) & (offset <= months) & (cohort_of[p.customer] >= first_cohort) & (p.time < as_of)
    retained = np.zeros((current - first_cohort + 1, months), dtype=np.int64)
    if keep.any():
        pairs = np.unique(p.customer[keep] * (months + 1) + offset[keep])
        customers, offsets = np.divmod(pairs, months + 1)
        np.add.at(retained, (cohort_of[customers] - first_cohort, offsets - 1), 1)
    rows: list[CohortRow] = []
    for row, cohort in enumerate(range(first_cohort, current + 1)):
        size = int(sizes[row])
        retention: list[float | None] = []
        for k in range(1, months + 1):
            ended = cohort + k < current  # months before as_of's month have ended
            retention.append(_rate(int(retained[row, k - 1]), size) if ended else None)
        rows.append(CohortRow(month=month_label(cohort), size=size, retention=retention))
    return rows


# --- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerModel:
    """The fitted models of one currency, or why there are none (``report``)."""

    report: ModelReport
    bgnbd: clv.BgNbdParams | None = None
    gamma_gamma: clv.GammaGammaParams | None = None

    @property
    def fitted(self) -> bool:
        return self.bgnbd is not None and self.gamma_gamma is not None


def monetary_value(snapshot: Snapshot) -> FloatArray:
    """Each repeat buyer's mean repeat purchase value in currency units (the first purchase
    left out, as Gamma-Gamma is fitted in the literature); 0 for the others."""
    repeat = snapshot.count - 1
    extra = (snapshot.cents - snapshot.first_cents).astype(np.float64) / 100
    return np.where(repeat > 0, extra / np.maximum(repeat, 1), 0.0)


def _too_thin(customers: int, repeat_buyers: int, minimum: int) -> str:
    return (
        f"Only {repeat_buyers} of {customers} customers bought more than once; the model needs at "
        f"least {minimum} repeat buyers, so the recency rule judges everyone and no prediction is shown."
    )


def holdout(history: History, *, as_of: int, weeks: int, min_repeat_buyers: int) -> HoldoutReport | None:
    """The calibration/holdout check: BG/NBD fitted on the purchases before the last ``weeks``
    weeks, its expected repeat purchases in those weeks against the actual ones, per number of
    repeat purchases in the calibration period. None when the calibration period has fewer
    repeat buyers than the model needs, or its fit fails."""
    calibration_end = as_of - weeks * DAYS_PER_WEEK * DAY
    c = history.at(calibration_end)
    e = history.at(as_of)
    has = c.customers
    if int((c.count >= 2).sum()) < min_repeat_buyers:
        return None
    frequency, recency, age = rfm(c)
    try:
        fit = clv.bgnbd_fit(frequency[has], recency[has], age[has])
        groups = clv.holdout_check(
            fit.params,
            frequency_cal=frequency[has],
            recency_cal=recency[has],
            T_cal=age[has],
            holdout_purchases=(e.count - c.count)[has],
            duration=float(weeks),
        )
    except clv.ModelError:
        return None
    rows = [
        HoldoutRow(frequency=g.frequency, customers=g.customers, actual=g.actual, predicted=g.predicted)
        for g in groups
    ]
    return HoldoutReport(
        weeks=weeks,
        calibration_end=datetime.fromtimestamp(calibration_end, history.zone).isoformat(),
        rows=rows,
        total_actual=int((e.count - c.count)[has].sum()),
        total_predicted=float(sum(g.customers * g.predicted for g in groups)),
    )


def customer_model(
    history: History, *, as_of: int, min_repeat_buyers: int, holdout_weeks: int
) -> CustomerModel:
    """Fit BG/NBD and Gamma-Gamma on every customer's history at ``as_of`` (weeks as the unit),
    unless fewer than ``min_repeat_buyers`` bought more than once; then the holdout check."""
    e = history.at(as_of)
    has = e.customers
    customers = int(has.sum())
    repeat_buyers = int((e.count >= 2).sum())
    report = ModelReport(
        state="too_thin",
        unit="week",
        customers=customers,
        repeat_buyers=repeat_buyers,
        min_repeat_buyers=min_repeat_buyers,
        bgnbd=None,
        gamma_gamma=None,
        holdout=None,
        message="",
    )
    if repeat_buyers < min_repeat_buyers:
        report["message"] = _too_thin(customers, repeat_buyers, min_repeat_buyers)
        return CustomerModel(report=report)
    frequency, recency, age = rfm(e)
    value = monetary_value(e)
    # Gamma-Gamma needs a positive order value: repeat purchases refunded down to 0 leave a
    # customer out of its fit (they still get its prediction).
    valued = np.where(value > 0, frequency, 0.0)
    try:
        bgnbd = clv.bgnbd_fit(frequency[has], recency[has], age[has])
        gamma_gamma = clv.gamma_gamma_fit(valued[has], value[has])
    except clv.ModelError as exc:
        report["state"] = "failed"
        report["message"] = f"The model could not be fitted: {exc} The recency rule judges everyone."
        return CustomerModel(report=report)
    report["state"] = "fitted"
    report["bgnbd"] = BgNbdReport(
        r=bgnbd.params.r,
        alpha=bgnbd.params.alpha,
        a=bgnbd.params.a,
        b=bgnbd.params.b,
        log_likelihood=bgnbd.log_likelihood,
    )
    report["gamma_gamma"] = GammaGammaReport(
        p=gamma_gamma.params.p,
        q=gamma_gamma.params.q,
        gamma=gamma_gamma.params.gamma,
        customers=gamma_gamma.customers,
    )
    report["holdout"] = holdout(
        history, as_of=as_of, weeks=holdout_weeks, min_repeat_buyers=min_repeat_buyers
    )
    return CustomerModel(report=report, bgnbd=bgnbd.params, gamma_gamma=gamma_gamma.params)


@dataclass(frozen=True)
class Predictions:
    """Per customer at ``as_of`` (NaN for customers without a purchase, and where the model
    cannot speak: ``p_alive`` for customers with one purchase)."""

    p_alive: FloatArray
    expected_purchases_90d: FloatArray
    expected_order_value: FloatArray
    clv_12m: FloatArray


def predictions(history: History, model: CustomerModel, *, as_of: int) -> Predictions | None:
    """Probability active, expected purchases in 90 days, expected order value and predicted
    12-month CLV (expected purchases in 365 days times expected order value); None without a
    model."""
    if model.bgnbd is None or model.gamma_gamma is None:
        return None
    e = history.at(as_of)
    has = e.customers
    frequency, recency, age = rfm(e)
    value = monetary_value(e)
    n = history.customers
    expected_90 = np.full(n, np.nan)
    order_value = np.full(n, np.nan)
    lifetime = np.full(n, np.nan)
    if has.any():
        args = (frequency[has], recency[has], age[has])
        expected_90[has] = clv.bgnbd_expected_purchases(
            model.bgnbd, EXPECTED_PURCHASES_DAYS / DAYS_PER_WEEK, *args
        )
        order_value[has] = clv.gamma_gamma_expected_value(model.gamma_gamma, frequency[has], value[has])
        lifetime[has] = clv.clv_predict(
            model.bgnbd, model.gamma_gamma, *args, value[has], horizon=CLV_HORIZON_DAYS / DAYS_PER_WEEK
        )
    return Predictions(
        p_alive=p_alive(e, model.bgnbd),
        expected_purchases_90d=expected_90,
        expected_order_value=order_value,
        clv_12m=lifetime,
    )


def value_at_risk(prediction: Predictions | None, *, lapsed_now: BoolArray) -> FloatArray:
    """Predicted 12-month CLV times the probability of having lapsed (1 - p_alive). For customers
    the recency rule judges (one purchase), that probability is 1 when they are lapsed and 0
    otherwise. Without a model there is no prediction, so nothing is at risk (0)."""
    if prediction is None:
        return np.zeros(len(lapsed_now))
    gone = np.where(np.isnan(prediction.p_alive), lapsed_now.astype(np.float64), 1.0 - prediction.p_alive)
    return np.nan_to_num(prediction.clv_12m * gone, nan=0.0)


# --- per tier -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierInfo:
    tier_id: int | None  # None: non-members
    name: str


def tier_values(
    history: History,
    *,
    as_of: int,
    tiers: Sequence[TierInfo],
    customer_tier: IntArray,
    members: BoolArray,
    predicted: FloatArray | None,
) -> list[TierValue]:
    """Historic and predicted 12-month CLV per customer, averaged per tier (members by the tier
    they hold at ``as_of``) and for non-members. ``customer_tier`` holds each customer's index
    into ``tiers`` (-1 for non-members); ``predicted`` is None without a model."""
    e = history.at(as_of)
    rows: list[TierValue] = []
    groups: list[tuple[TierInfo, BoolArray]] = [
        (info, members & (customer_tier == index)) for index, info in enumerate(tiers)
    ]
    groups.append((TierInfo(tier_id=None, name=""), ~members))
    for info, mask in groups:
        chosen = mask & e.customers
        n = int(chosen.sum())
        predicted_clv = None
        if predicted is not None and n:
            predicted_clv = money_ratio(round(float(np.nansum(predicted[chosen])) * 100), n)
        rows.append(
            TierValue(
                tier_id=info.tier_id,
                tier=info.name,
                customers=n,
                historic_clv=money_ratio(int(e.cents[chosen].sum()), n),
                predicted_clv=predicted_clv,
            )
        )
    return rows


# --- programme cost and pull --------------------------------------------------------------------


# Where a coupon came from (Coupons.source).
COUPON_BOUGHT = 0  # taken for points
COUPON_GIFT_CAMPAIGN = 1  # gifted by a campaign
COUPON_GIFT_STAFF = 2  # gifted by staff by hand
GIFT_SOURCES = {"campaigns": COUPON_GIFT_CAMPAIGN, "staff": COUPON_GIFT_STAFF}


@dataclass(frozen=True)
class Coupons:
    """Coupons members took for points or were gifted, one entry each (redemptions not voided)."""

    redeemed_at: IntArray  # Unix seconds (a gifted coupon: when it was given)
    used_at: FloatArray  # Unix seconds, NaN while unused
    value_cents: IntArray  # face value; -1 when it cannot be valued (percent, free shipping)
    source: IntArray | None = None  # COUPON_* of each; None: all taken for points

    @classmethod
    def empty(cls) -> Coupons:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))

    def of_source(self, source: int) -> BoolArray:
        if self.source is None:
            return np.full(len(self.redeemed_at), source == COUPON_BOUGHT, dtype=np.bool_)
        return np.equal(self.source, source)


@dataclass(frozen=True)
class GiftedPoints:
    """Points gifts, one entry each."""

    given_at: IntArray  # Unix seconds
    points: IntArray
    by_campaign: BoolArray  # a campaign gave them; else staff by hand

    @classmethod
    def empty(cls) -> GiftedPoints:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_))


def _within(moments: IntArray | FloatArray, start: int | None, end: int) -> BoolArray:
    inside = moments < end
    if start is not None:
        inside &= moments >= start
    return inside


def programme(
    history: History,
    *,
    start: int | None,
    end: int,
    coupons: Coupons,
    points_liability: int,
    referred: BoolArray,
) -> Programme:
    """Coupons taken for points and used in the window with the value of those that can be
    valued (gifted coupons are in ``gift_costs``), points outstanding, and net revenue in the
    window from referred customers and on orders that used a coupon."""
    bought = coupons.of_source(COUPON_BOUGHT)
    redeemed = _within(coupons.redeemed_at, start, end) & bought
    used = _within(np.nan_to_num(coupons.used_at, nan=np.inf), start, end) & bought
    valued = coupons.value_cents >= 0
    _count, cents = history.in_window(start, end)
    return Programme(
        coupons_redeemed=int(redeemed.sum()),
        coupons_redeemed_value=money(int(coupons.value_cents[redeemed & valued].sum())),
        coupons_redeemed_unvalued=int((redeemed & ~valued).sum()),
        coupons_used=int(used.sum()),
        coupons_used_value=money(int(coupons.value_cents[used & valued].sum())),
        coupons_used_unvalued=int((used & ~valued).sum()),
        points_liability=int(points_liability),
        referred_revenue=money(int(cents[referred].sum())),
        coupon_order_revenue=money(history.coupon_cents_in_window(start, end)),
    )


def gift_costs(
    *, start: int | None, end: int, coupons: Coupons, gifted_points: GiftedPoints
) -> dict[str, GiftCost]:
    """Gifted coupons given and used in the window (valued as in ``programme``) and points
    gifted in the window, for "campaigns" and for "staff"."""
    given_in = _within(coupons.redeemed_at, start, end)
    used_in = _within(np.nan_to_num(coupons.used_at, nan=np.inf), start, end)
    valued = coupons.value_cents >= 0
    points_in = _within(gifted_points.given_at, start, end)
    costs: dict[str, GiftCost] = {}
    for key, source in GIFT_SOURCES.items():
        mine = coupons.of_source(source)
        given, used = given_in & mine, used_in & mine
        by = gifted_points.by_campaign if source == COUPON_GIFT_CAMPAIGN else ~gifted_points.by_campaign
        costs[key] = GiftCost(
            coupons_given=int(given.sum()),
            coupons_given_value=money(int(coupons.value_cents[given & valued].sum())),
            coupons_given_unvalued=int((given & ~valued).sum()),
            coupons_used=int(used.sum()),
            coupons_used_value=money(int(coupons.value_cents[used & valued].sum())),
            coupons_used_unvalued=int((used & ~valued).sum()),
            points=int(gifted_points.points[points_in & by].sum()),
        )
    return costs


# --- the warning signs ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberSignals:
    """What the member-only warning signs need, per customer (members only; others empty)."""

    activity_recent: IntArray  # community activity in the last 90 days
    activity_before: IntArray  # … in the 90 days before
    negative_review: dict[int, ReasonDetail] = field(default_factory=dict)  # customer → detail
    points_expiring: dict[int, ReasonDetail] = field(default_factory=dict)
    tier_hold_ending: dict[int, ReasonDetail] = field(default_factory=dict)


def reasons(
    history: History,
    *,
    as_of: int,
    rule: LapseRule,
    members: BoolArray,
    signals: MemberSignals,
) -> tuple[list[list[str]], list[dict[str, ReasonDetail]]]:
    """Each customer's warning signs at ``as_of`` (codes in types.REASONS order) and the
    figures behind each (docs/insight.md, "At risk"):

    - lapsed: judged lapsed by ``rule``;
    - overdue: two or more purchases, and the days since the last one exceed twice their usual
      interval (days from the first purchase to the last ÷ purchases after the first);
    - fading: the model's probability of being active fell by 0.2 or more since 90 days ago
      (two or more purchases at both moments);
    - engaging_less (members): community activity in the last 90 days below half of the 90
      days before, which had some;
    - negative_review, points_expiring, tier_hold_ending (members): as given in ``signals``.
    """
    e = history.at(as_of)
    n = history.customers
    has = e.customers
    gone = lapsed(e, rule)
    days_since = e.day - e.last_day
    interval = (e.last_day - e.first_day) / np.maximum(e.count - 1, 1)
    overdue = has & (e.count >= 2) & (days_since > OVERDUE_FACTOR * interval)
    was = now = np.full(n, np.nan)
    fading = np.zeros(n, dtype=np.bool_)
    if rule.model is not None:
        earlier = history.at(as_of - FADING_DAYS * DAY)
        was, now = p_alive(earlier, rule.model), p_alive(e, rule.model)
        fading = (earlier.count >= 2) & (e.count >= 2) & (was - now >= FADING_DROP)
    recent, before = signals.activity_recent, signals.activity_before
    engaging_less = members & has & (before > 0) & (2 * recent < before)
    flagged = {
        "lapsed": gone,
        "overdue": overdue,
        "fading": fading,
        "engaging_less": engaging_less,
    }
    codes: list[list[str]] = [[] for _ in range(n)]
    details: list[dict[str, ReasonDetail]] = [{} for _ in range(n)]
    for code in REASONS:
        if code in flagged:
            for index in np.flatnonzero(flagged[code] & has):
                codes[index].append(code)
                details[index][code] = _detail(
                    code, int(index), e=e, days_since=days_since, interval=interval, was=was, now=now,
                    recent=recent, before=before, rule=rule,
                )  # fmt: skip
        else:
            given: dict[int, ReasonDetail] = getattr(signals, code)
            for member in sorted(given):
                if members[member] and has[member]:
                    codes[member].append(code)
                    details[member][code] = given[member]
    return codes, details


def _detail(
    code: str,
    index: int,
    *,
    e: Snapshot,
    days_since: IntArray,
    interval: FloatArray,
    was: FloatArray,
    now: FloatArray,
    recent: IntArray,
    before: IntArray,
    rule: LapseRule,
) -> ReasonDetail:
    if code == "lapsed":
        detail = ReasonDetail(days_since=int(days_since[index]))
        if rule.model is not None and e.count[index] >= 2:
            detail["now"] = round(float(now[index]), 3)
        return detail
    if code == "overdue":
        return ReasonDetail(days_since=int(days_since[index]), usual_interval=round(float(interval[index])))
    if code == "fading":
        return ReasonDetail(was=round(float(was[index]), 3), now=round(float(now[index]), 3))
    return ReasonDetail(recent=int(recent[index]), before=int(before[index]))


__all__ = [
    "Churn",
    "Coupons",
    "CustomerModel",
    "GiftedPoints",
    "History",
    "LapseRule",
    "MemberSignals",
    "Orders",
    "Predictions",
    "Purchases",
    "Snapshot",
    "TierInfo",
    "average_historic_clv",
    "average_order_value",
    "churn",
    "cohorts",
    "customer_model",
    "figures",
    "gift_costs",
    "historic_clv",
    "holdout",
    "lapsed",
    "local_days",
    "members_share",
    "money",
    "monthly",
    "p_alive",
    "predictions",
    "programme",
    "purchase_frequency",
    "purchases_from_orders",
    "reasons",
    "repeat_purchase_rate",
    "segment",
    "tier_values",
    "value_at_risk",
    "window_repeat_rate",
]
