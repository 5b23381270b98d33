"""Reads of the stored retention results for the admin pages.

Every read starts from the latest finished run (state "done"): a refresh still running, or
one that failed, never shows, and a page never mixes two runs. Nothing here computes a figure
from orders; it picks what ``insight_refresh`` stored. Each read costs a fixed number of
queries whatever the number of customers (tests/membership/insight/test_retention_views.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from .models import CurrencyInsight, CustomerInsight, InsightRun
from .types import PERIODS, REASONS, PeriodReport, TierValue

if TYPE_CHECKING:
    from membership.models import User

VIEW_RETENTION_PERMISSION = "membership.view_retention"
DEFAULT_PERIOD = "90d"
AT_RISK_PER_PAGE = 50
EXPORT_CHUNK = 2000
# Value at risk first; among equals (everyone at 0 when the model was not fitted) the
# customers who have spent the most so far.
RANKING = ("-value_at_risk", "-net_revenue", "pk")
# The large JSON columns only the report reads.
_REPORT_ONLY_FIELDS = ("periods", "monthly", "cohorts")


def can_view_retention(user: User | Any) -> bool:
    """Staff (the group holds ``membership.view_retention``) and superusers."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(VIEW_RETENTION_PERMISSION))


def check_view_retention_permission(user: User | Any) -> None:
    if not can_view_retention(user):
        raise PermissionDenied(_("Only staff may see the retention figures."))


def latest_run() -> InsightRun | None:
    """The newest finished refresh, or None before the first one has finished."""
    return InsightRun.objects.filter(state=InsightRun.State.DONE).order_by("-as_of", "-pk").first()


def running_refresh() -> InsightRun | None:
    """A refresh in progress, for the empty state ("the first refresh is running")."""
    return InsightRun.objects.filter(state=InsightRun.State.RUNNING).order_by("-started_at").first()


def _pick(insights: list[CurrencyInsight], currency: str | None) -> CurrencyInsight | None:
    # The default is the currency with the most purchases (the model's ordering).
    chosen = next((insight for insight in insights if insight.currency == currency), None)
    return chosen or (insights[0] if insights else None)


@dataclass(frozen=True)
class RunFigures:
    """The latest run, its currencies, and the one chosen."""

    run: InsightRun
    currencies: list[str]
    insight: CurrencyInsight | None  # None: the run found no purchases in any currency


def run_figures(*, currency: str | None = None, report: bool = True) -> RunFigures | None:
    """The latest finished run's figures per currency, choosing ``currency`` (the one with
    the most purchases if it is unknown): one query, two only when the run found no
    purchases. ``report=False`` leaves out the large columns only the report reads. None
    before any run has finished."""
    latest = InsightRun.objects.filter(state=InsightRun.State.DONE).order_by("-as_of", "-pk").values("pk")[:1]
    rows = CurrencyInsight.objects.filter(run_id=Subquery(latest)).select_related("run")
    if not report:
        rows = rows.defer(*_REPORT_ONLY_FIELDS)
    insights = list(rows.order_by("-purchases", "currency"))
    run = insights[0].run if insights else latest_run()
    if run is None:
        return None
    return RunFigures(
        run=run, currencies=[each.currency for each in insights], insight=_pick(insights, currency)
    )


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    run: InsightRun
    currencies: list[str]
    insight: CurrencyInsight | None  # None: the run found no purchases in any currency
    period_key: str
    period: PeriodReport | None


def retention_report(*, currency: str | None = None, period: str = DEFAULT_PERIOD) -> RetentionReport | None:
    """The figures of one currency and period from the latest run (one query); None before
    any run has finished. An unknown currency or period falls back to the default."""
    figures = run_figures(currency=currency)
    if figures is None:
        return None
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    insight = figures.insight
    return RetentionReport(
        run=figures.run,
        currencies=figures.currencies,
        insight=insight,
        period_key=period,
        period=insight.periods.get(period) if insight is not None else None,
    )


# --- the at-risk list ---------------------------------------------------------------------


@dataclass(frozen=True)
class AtRiskFilters:
    tier_id: int | None = None
    reason: str | None = None
    min_value: Decimal | None = None

    def __post_init__(self) -> None:
        if self.reason is not None and self.reason not in REASONS:
            raise ValueError(f"unknown reason {self.reason!r}")


def tier_choices(insight: CurrencyInsight) -> list[tuple[int, str]]:
    """The tiers the run saw in the currency (id, name) in the stored order: the at-risk
    filter's choices, without a query (rows carry the tier they had at the run)."""
    return [(tier["tier_id"], tier["tier"]) for tier in insight.tiers if tier.get("tier_id") is not None]


def at_risk_queryset(*, insight: CurrencyInsight, filters: AtRiskFilters) -> QuerySet[CustomerInsight]:
    """Members of the currency with at least one reason, the most value at risk first."""
    rows = CustomerInsight.objects.filter(currency_insight=insight, member__isnull=False).exclude(reasons=[])
    if filters.tier_id is not None:
        rows = rows.filter(tier_id=filters.tier_id)
    if filters.reason is not None:
        rows = rows.filter(_has_reason(filters.reason))
    if filters.min_value is not None:
        rows = rows.filter(value_at_risk__gte=filters.min_value)
    return rows.order_by(*RANKING)


def _has_reason(reason: str) -> Q:
    # ``reasons`` is a JSON list of codes; "contains" on JSON is not available on SQLite, so
    # match the quoted code in the stored text. No code is part of another one (types.REASONS).
    return Q(reasons__icontains=f'"{reason}"')


def at_risk_page(
    *,
    insight: CurrencyInsight,
    filters: AtRiskFilters | None = None,
    page_number: int | str | None = 1,
    per_page: int = AT_RISK_PER_PAGE,
) -> Page[CustomerInsight]:
    """One page of the at-risk list, member and tier loaded (two queries: count, rows)."""
    rows = at_risk_queryset(insight=insight, filters=filters or AtRiskFilters()).select_related(
        "member", "tier"
    )
    return Paginator(rows, per_page).get_page(page_number)


EXPORT_FIELDS = (
    "pk",
    "email",
    "member__username",
    "tier__name",
    "purchases",
    "first_purchase",
    "last_purchase",
    "net_revenue",
    "p_alive",
    "expected_purchases_90d",
    "predicted_clv",
    "lapsed",
    "value_at_risk",
    "reasons",
    "reason_details",
)


def customer_export_rows(
    *, insight: CurrencyInsight, filters: AtRiskFilters | None = None, chunk_size: int = EXPORT_CHUNK
) -> Iterator[list[dict[str, Any]]]:
    """Every customer of the currency (or, with ``filters``, the at-risk list) in the
    at-risk ranking, in chunks of plain dicts. Each chunk is one query that continues after
    the last row of the one before (keyset on the ranking), so memory stays flat at any size
    and a slow download never holds a cursor open."""
    if filters is None:
        rows = CustomerInsight.objects.filter(currency_insight=insight)
    else:
        rows = at_risk_queryset(insight=insight, filters=filters)
    rows = rows.order_by(*RANKING).values(*EXPORT_FIELDS)
    last: dict[str, Any] | None = None
    while True:
        chunk_rows = rows
        if last is not None:
            value, revenue = last["value_at_risk"], last["net_revenue"]
            chunk_rows = rows.filter(
                Q(value_at_risk__lt=value)
                | Q(value_at_risk=value, net_revenue__lt=revenue)
                | Q(value_at_risk=value, net_revenue=revenue, pk__gt=last["pk"])
            )
        chunk = list(chunk_rows[:chunk_size])
        if not chunk:
            return
        yield chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1]


# --- one member ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRetention:
    run: InsightRun
    rows: list[CustomerInsight]  # one per currency the member bought in; currency_insight loaded


def member_retention(*, member: User) -> MemberRetention | None:
    """The member's rows in the latest run, one per currency (two queries); None before
    any run has finished."""
    run = latest_run()
    if run is None:
        return None
    rows = list(
        CustomerInsight.objects.filter(member=member, currency_insight__run=run)
        .select_related("currency_insight", "tier")
        .defer(*(f"currency_insight__{name}" for name in _REPORT_ONLY_FIELDS))
        .order_by("-currency_insight__purchases", "currency_insight__currency")
    )
    return MemberRetention(run=run, rows=rows)


# --- the dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    as_of: datetime
    currency: str | None  # None: the run found no purchases
    repeat_rate: float | None
    churn_rate: float | None  # for the last 90 days
    clv: Decimal | None  # predicted 12-month CLV per customer when the model was fitted, else historic
    clv_predicted: bool


def dashboard_headline() -> Headline | None:
    """The three headline figures of the main currency (the one with the most purchases):
    one query (two when the run found no purchases); None before any run has finished."""
    latest = InsightRun.objects.filter(state=InsightRun.State.DONE).order_by("-as_of", "-pk").values("pk")[:1]
    insight = (
        CurrencyInsight.objects.filter(run_id=Subquery(latest))
        .select_related("run")
        .only("run__as_of", "currency", "purchases", "model", "periods", "tiers")
        .order_by("-purchases", "currency")
        .first()
    )
    if insight is None:
        run = latest_run()
        if run is None:
            return None
        return Headline(
            as_of=run.as_of, currency=None, repeat_rate=None, churn_rate=None, clv=None, clv_predicted=False
        )
    figures = (insight.periods.get("90d") or {}).get("current") or {}
    predicted = mean_predicted_clv(insight.tiers) if insight.model.get("state") == "fitted" else None
    historic = ((insight.periods.get("all") or {}).get("current") or {}).get("historic_clv")
    return Headline(
        as_of=insight.run.as_of,
        currency=insight.currency,
        repeat_rate=figures.get("repeat_rate"),
        churn_rate=figures.get("churn_rate"),
        clv=predicted if predicted is not None else (Decimal(historic) if historic is not None else None),
        clv_predicted=predicted is not None,
    )


def mean_predicted_clv(tiers: list[TierValue]) -> Decimal | None:
    """Predicted 12-month CLV per customer across all tiers (and non-members): the tiers'
    means weighted by their customers."""
    total = Decimal(0)
    customers = 0
    for tier in tiers:
        predicted_clv = tier.get("predicted_clv")
        if predicted_clv is None or not tier.get("customers"):
            continue
        total += Decimal(predicted_clv) * tier["customers"]
        customers += tier["customers"]
    if not customers:
        return None
    return (total / customers).quantize(Decimal("0.01"))
