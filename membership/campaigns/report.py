"""The campaign report's arithmetic: what a campaign changed, measured against its holdout.
docs/campaigns.md ("Proof: the campaign report") defines every figure; this module is
that definition in code and nothing else: no database, no Django, plain arrays in, typed figures
out, so each figure can be checked on hand-built data.

The comparison is **intention to treat**: every treatment row (sent, still queued, or skipped
because of consent, the cap or a suppression) against every holdout row. Skipping is not random
(members without consent or with a bounced address differ from the rest), so comparing only the
rows that were sent with the whole holdout would credit the campaign with that difference.
The report also shows how many treatment rows were sent, so a reader sees the dilution.

Terms:

- A **row** is one ``CampaignRecipient``: one member reached by the campaign (for lifecycle
  campaigns, by one occurrence of its event; a member may have several rows).
- A row **converts** in a window of *w* days when the member has an order (linked to the member,
  or unlinked with the member's address) created in ``(entered_at, entered_at + w days]`` that
  was not refunded in full. Each row converts at most once per window, however many orders.
- A window has **elapsed** for a row when ``entered_at + w days <= as_of``; only those rows are
  counted in that window, the others are reported as still inside it.
- **Revenue per member** is the net total (after partial refunds) of those orders in the main
  currency, divided by the rows counted; the main currency is the one with the most orders read,
  and orders in other currencies are listed, not converted.
- Moments are Unix seconds, money integer cents (sums exact); shares are fractions 0…1.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy import stats

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DAY = 86_400
WINDOWS: tuple[int, ...] = (7, 30, 60)
# "Too small to tell": below either, the normal approximations behind the intervals are not
# to be trusted, and a figure would look more certain than the data is.
MIN_MEMBERS = 30
MIN_CONVERSIONS = 5
CONFIDENCE = 0.95
Z95 = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))  # 1.959963984540054


# --- intervals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def wilson_interval(successes: int, n: int, *, z: float = Z95) -> Interval:
    """Wilson's score interval for a proportion (Newcombe 1998's method 3)."""
    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError("successes must lie in 0…n")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At the ends the limit is exactly 0 or 1; the formula leaves a rounding error there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, *, z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval for p1 - p2 (1998, method 10): each proportion's Wilson
    interval (l_i, u_i), then
    L = d - sqrt((p1 - l1)² + (u2 - p2)²),  U = d + sqrt((u1 - p1)² + (p2 - l2)²)."""
    p1, p2 = x1 / n1, x2 / n2
    one, two = wilson_interval(x1, n1, z=z), wilson_interval(x2, n2, z=z)
    d = p1 - p2
    low = d - math.sqrt((p1 - one.low) ** 2 + (two.high - p2) ** 2)
    high = d + math.sqrt((one.high - p1) ** 2 + (p2 - two.low) ** 2)
    return Interval(low, high)


def welch_interval(a: FloatArray, b: FloatArray, *, confidence: float = CONFIDENCE) -> Interval:
    """Welch's t interval for mean(a) - mean(b) (unequal variances): se = sqrt(s1²/n1 + s2²/n2),
    Welch-Satterthwaite degrees of freedom, the t quantile from scipy. Two groups without any
    spread (every value equal within each) have a difference known exactly: a zero-width
    interval."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        raise ValueError("each group needs at least two values")
    d = float(np.mean(a) - np.mean(b))
    v1, v2 = float(np.var(a, ddof=1)) / n1, float(np.var(b, ddof=1)) / n2
    se2 = v1 + v2
    if se2 == 0:
        return Interval(d, d)
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, df)) * math.sqrt(se2)
    return Interval(d - half, d + half)


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The campaign's rows, one entry each (parallel arrays)."""

    member: IntArray  # any integer key of the buyer, the same as Purchases.member
    treatment: BoolArray  # False: holdout
    sent: BoolArray
    entered_at: IntArray
    coupon_given: BoolArray  # the row's gift included a coupon
    coupon_used: BoolArray  # … and it was used (the shop said so, or an order named it)
    emailed: BoolArray
    opened: BoolArray

    @classmethod
    def build(
        cls,
        *,
        member: Sequence[int],
        treatment: Sequence[bool],
        entered_at: Sequence[int],
        sent: Sequence[bool] | None = None,
        coupon_given: Sequence[bool] | None = None,
        coupon_used: Sequence[bool] | None = None,
        emailed: Sequence[bool] | None = None,
        opened: Sequence[bool] | None = None,
    ) -> Rows:
        n = len(member)

        def flags(values: Sequence[bool] | None) -> BoolArray:
            if values is None:
                return np.zeros(n, dtype=np.bool_)
            return np.asarray(values, dtype=np.bool_)

        return cls(
            member=np.asarray(member, dtype=np.int64),
            treatment=np.asarray(treatment, dtype=np.bool_),
            sent=flags(sent),
            entered_at=np.asarray(entered_at, dtype=np.int64),
            coupon_given=flags(coupon_given),
            coupon_used=flags(coupon_used),
            emailed=flags(emailed),
            opened=flags(opened),
        )


@dataclass(frozen=True)
class Purchases:
    """Orders of the rows' members (parallel arrays); the caller may pass more than needed."""

    member: IntArray
    time: IntArray
    cents: IntArray  # net total, after partial refunds
    currency: tuple[str, ...]
    refunded: BoolArray  # refunded in full: never a conversion

    @classmethod
    def build(cls, rows: Sequence[tuple[int, int, int, str] | tuple[int, int, int, str, bool]]) -> Purchases:
        """From (member, time, cents, currency[, refunded in full]) tuples."""
        return cls(
            member=np.array([row[0] for row in rows], dtype=np.int64),
            time=np.array([row[1] for row in rows], dtype=np.int64),
            cents=np.array([row[2] for row in rows], dtype=np.int64),
            currency=tuple(row[3] for row in rows),
            refunded=np.array([bool(row[4]) if len(row) > 4 else False for row in rows], dtype=np.bool_),
        )


# --- output -----------------------------------------------------------------------------------


class Verdict(StrEnum):
    MORE = "more"  # the interval lies above zero
    LESS = "less"  # … below zero
    NO_DIFFERENCE = "no_difference"  # it contains zero
    TOO_SMALL = "too_small"  # the too-small rule: no figure
    NO_HOLDOUT = "no_holdout"  # nobody was kept back: nothing to compare with
    NOT_YET = "not_yet"  # nobody's window has elapsed


class TooSmall(StrEnum):
    FEW_TREATMENT = "few_treatment"  # fewer than MIN_MEMBERS rows counted
    FEW_HOLDOUT = "few_holdout"
    FEW_TREATMENT_CONVERSIONS = "few_treatment_conversions"  # fewer than MIN_CONVERSIONS
    FEW_HOLDOUT_CONVERSIONS = "few_holdout_conversions"


@dataclass(frozen=True)
class GroupWindow:
    """One group in one window."""

    members: int  # rows whose window has elapsed (the denominator)
    waiting: int  # rows still inside the window, not counted yet
    converted: int
    revenue_cents: int  # in the main currency
    conversion: float | None  # converted / members; None when no row is counted
    conversion_interval: Interval | None  # Wilson
    revenue_per_member: float | None  # currency units


@dataclass(frozen=True)
class Uplift:
    """Treatment - holdout, with 95 % intervals."""

    conversion: float  # a difference of shares (× 100: percentage points)
    conversion_interval: Interval  # Newcombe's hybrid score interval
    conversion_verdict: Verdict
    revenue_per_member: float  # currency units
    revenue_interval: Interval  # Welch
    revenue_verdict: Verdict


@dataclass(frozen=True)
class WindowResult:
    days: int
    treatment: GroupWindow
    holdout: GroupWindow
    verdict: Verdict  # of the conversion uplift; MORE/LESS/NO_DIFFERENCE only with an uplift
    too_small: tuple[TooSmall, ...]
    uplift: Uplift | None  # None unless both groups pass the too-small rule


@dataclass(frozen=True)
class GroupSummary:
    assigned: int  # rows in the group (intention to treat)
    sent: int
    coupons_given: int
    coupons_used: int
    emailed: int
    opened: int

    @property
    def coupon_use(self) -> float | None:
        """The share of the whole group whose campaign coupon was used."""
        return self.coupons_used / self.assigned if self.assigned and self.coupons_given else None

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.emailed if self.emailed else None


@dataclass(frozen=True)
class OtherCurrency:
    currency: str
    orders: int  # orders in it that fall in some row's longest window
    cents: int


@dataclass(frozen=True)
class CampaignReport:
    as_of: int
    currency: str  # the main currency of revenue
    other_currencies: tuple[OtherCurrency, ...]  # left out of revenue (conversions count them)
    holdout_percent: int
    treatment: GroupSummary
    holdout: GroupSummary
    opens_reported: bool  # False: the page says "not reported" instead of a share
    windows: tuple[WindowResult, ...]


# --- the computation --------------------------------------------------------------------------


def verdict_of(interval: Interval) -> Verdict:
    if interval.low > 0:
        return Verdict.MORE
    if interval.high < 0:
        return Verdict.LESS
    return Verdict.NO_DIFFERENCE


def too_small_reasons(treatment: GroupWindow, holdout: GroupWindow) -> tuple[TooSmall, ...]:
    reasons = []
    if treatment.members < MIN_MEMBERS:
        reasons.append(TooSmall.FEW_TREATMENT)
    if holdout.members < MIN_MEMBERS:
        reasons.append(TooSmall.FEW_HOLDOUT)
    if treatment.converted < MIN_CONVERSIONS:
        reasons.append(TooSmall.FEW_TREATMENT_CONVERSIONS)
    if holdout.converted < MIN_CONVERSIONS:
        reasons.append(TooSmall.FEW_HOLDOUT_CONVERSIONS)
    return tuple(reasons)


def main_currency(purchases: Purchases, *, fallback: str) -> str:
    """The currency with the most orders that count (ties: alphabetical); ``fallback`` without
    any."""
    counts = Counter(
        c for c, refunded in zip(purchases.currency, purchases.refunded, strict=True) if not refunded
    )
    if not counts:
        return fallback
    return min(counts, key=lambda currency: (-counts[currency], currency))


def _group_window(
    counted: BoolArray, waiting: BoolArray, converted: BoolArray, revenue: IntArray
) -> GroupWindow:
    members = int(counted.sum())
    hits = int((converted & counted).sum())
    cents = int(revenue[counted].sum())
    return GroupWindow(
        members=members,
        waiting=int(waiting.sum()),
        converted=hits,
        revenue_cents=cents,
        conversion=hits / members if members else None,
        conversion_interval=wilson_interval(hits, members) if members else None,
        revenue_per_member=cents / 100 / members if members else None,
    )


def _summary(rows: Rows, mask: BoolArray) -> GroupSummary:
    return GroupSummary(
        assigned=int(mask.sum()),
        sent=int((rows.sent & mask).sum()),
        coupons_given=int((rows.coupon_given & mask).sum()),
        coupons_used=int((rows.coupon_used & rows.coupon_given & mask).sum()),
        emailed=int((rows.emailed & mask).sum()),
        opened=int((rows.opened & rows.emailed & mask).sum()),
    )


def campaign_report(
    rows: Rows,
    purchases: Purchases,
    *,
    as_of: int,
    holdout_percent: int,
    opens_reported: bool,
    fallback_currency: str,
    windows: Sequence[int] = WINDOWS,
) -> CampaignReport:
    """The report's figures (see the module docstring for every definition)."""
    keep = ~purchases.refunded
    currency = main_currency(purchases, fallback=fallback_currency)
    in_main = np.array([c == currency for c in purchases.currency], dtype=np.bool_)

    # Orders sorted by (buyer, time) under one integer key, so each row's orders in a window are
    # a contiguous slice found by two binary searches, and its revenue a difference of cumulative
    # sums: no loop over rows, whatever their number.
    member = purchases.member[keep]
    time = purchases.time[keep]
    cents = np.where(in_main[keep], purchases.cents[keep], 0)
    _, inverse = np.unique(np.concatenate([rows.member, member]), return_inverse=True)
    row_code, order_code = inverse[: len(rows.member)], inverse[len(rows.member) :]
    origin = int(min(rows.entered_at.min(initial=as_of), time.min(initial=as_of))) - 1
    span = 1 << 33  # offsets from origin below 2**33 s (272 years); codes below 2**30
    key = order_code.astype(np.int64) * span + (time - origin)
    order = np.argsort(key, kind="stable")
    key = key[order]
    cumulative = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(cents[order])])
    start = row_code.astype(np.int64) * span + (rows.entered_at - origin)
    low = np.searchsorted(key, start, side="right")

    treatment, holdout = rows.treatment, ~rows.treatment
    results = []
    for days in windows:
        end = rows.entered_at + days * DAY
        high = np.searchsorted(key, start + days * DAY, side="right")
        converted = high > low
        revenue = (cumulative[high] - cumulative[low]).astype(np.int64)
        counted = end <= as_of
        waiting = ~counted
        one = _group_window(counted & treatment, waiting & treatment, converted, revenue)
        other = _group_window(counted & holdout, waiting & holdout, converted, revenue)
        uplift: Uplift | None = None
        reasons: tuple[TooSmall, ...] = ()
        if holdout_percent <= 0 or not holdout.any():
            verdict = Verdict.NO_HOLDOUT
        elif one.members == 0 or other.members == 0:
            verdict = Verdict.NOT_YET
        else:
            reasons = too_small_reasons(one, other)
            if reasons:
                verdict = Verdict.TOO_SMALL
            else:
                diff = newcombe_difference(one.converted, one.members, other.converted, other.members)
                money = welch_interval(revenue[counted & treatment] / 100, revenue[counted & holdout] / 100)
                assert one.conversion is not None and other.conversion is not None
                assert one.revenue_per_member is not None and other.revenue_per_member is not None
                uplift = Uplift(
                    conversion=one.conversion - other.conversion,
                    conversion_interval=diff,
                    conversion_verdict=verdict_of(diff),
                    revenue_per_member=one.revenue_per_member - other.revenue_per_member,
                    revenue_interval=money,
                    revenue_verdict=verdict_of(money),
                )
                verdict = uplift.conversion_verdict
        results.append(
            WindowResult(
                days=days, treatment=one, holdout=other, verdict=verdict, too_small=reasons, uplift=uplift
            )
        )

    return CampaignReport(
        as_of=as_of,
        currency=currency,
        other_currencies=_other_currencies(rows, purchases, currency=currency, days=max(windows)),
        holdout_percent=holdout_percent,
        treatment=_summary(rows, treatment),
        holdout=_summary(rows, holdout),
        opens_reported=opens_reported,
        windows=tuple(results),
    )


def _other_currencies(
    rows: Rows, purchases: Purchases, *, currency: str, days: int
) -> tuple[OtherCurrency, ...]:
    """Orders outside the main currency that some row's longest window holds: listed so the
    reader knows what revenue leaves out."""
    if all(other == currency for other in purchases.currency):
        return ()
    first: dict[int, list[int]] = {}
    for member, entered in zip(rows.member.tolist(), rows.entered_at.tolist(), strict=True):
        first.setdefault(member, []).append(entered)
    found: dict[str, list[int]] = {}
    for member, moment, cents, other, refunded in zip(
        purchases.member.tolist(),
        purchases.time.tolist(),
        purchases.cents.tolist(),
        purchases.currency,
        purchases.refunded.tolist(),
        strict=True,
    ):
        if other == currency or refunded:
            continue
        if any(entered < moment <= entered + days * DAY for entered in first.get(member, ())):
            tally = found.setdefault(other, [0, 0])
            tally[0] += 1
            tally[1] += cents
    return tuple(
        OtherCurrency(currency=name, orders=tally[0], cents=tally[1]) for name, tally in sorted(found.items())
    )


__all__ = [
    "CONFIDENCE",
    "DAY",
    "MIN_CONVERSIONS",
    "MIN_MEMBERS",
    "WINDOWS",
    "CampaignReport",
    "GroupSummary",
    "GroupWindow",
    "Interval",
    "OtherCurrency",
    "Purchases",
    "Rows",
    "TooSmall",
    "Uplift",
    "Verdict",
    "WindowResult",
    "campaign_report",
    "main_currency",
    "newcombe_difference",
    "too_small_reasons",
    "verdict_of",
    "welch_interval",
    "wilson_interval",
]
