"""The retention report's content, built from one stored run: the headline figures with
their change against the previous period, and the sections (a chart, the table with the same
figures, notes). Labels are translated when these functions run, so build inside the request.
Nothing here reads the database; ``selectors.retention_report`` has already."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import charts
from .models import CurrencyInsight, InsightRun
from .tables import DASH, Cell, Column, DataTable, display, percent
from .types import PeriodReport, Segment


def period_labels() -> dict[str, str]:
    return {
        "30d": _("Last 30 days"),
        "90d": _("Last 90 days"),
        "365d": _("Last 12 months"),
        "all": _("All time"),
    }


def previous_period_label(key: str) -> str:
    return {
        "30d": _("the 30 days before"),
        "90d": _("the 90 days before"),
        "365d": _("the 12 months before"),
    }.get(key, "")


def segment_labels() -> dict[str, str]:
    return {
        "members": _("Members"),
        "non_members": _("Non-members"),
        "engaged": _("Engaged members"),
        "not_engaged": _("Members not engaged"),
    }


@dataclass(frozen=True)
class FigureSpec:
    key: str
    label: str
    kind: str
    better: bool | None  # is a higher figure better? None: neither
    card: bool
    help: str = ""


def figure_specs(currency: str) -> list[FigureSpec]:
    return [
        FigureSpec(
            "repeat_rate",
            _("Repeat purchase rate"),
            "pct",
            True,
            True,
            _("Customers with two or more purchases ÷ customers with one or more, up to the period's end."),
        ),
        FigureSpec(
            "churn_rate",
            _("Churn rate"),
            "pct",
            False,
            True,
            _("Customers active at the period's start who lapsed during it ÷ customers active at its start."),
        ),
        FigureSpec(
            "historic_clv",
            _("Historic CLV (%(currency)s)") % {"currency": currency},
            "money",
            True,
            True,
            _("Net revenue per customer since their first purchase, up to the period's end."),
        ),
        FigureSpec(
            "active_customers",
            _("Customers who bought"),
            "int",
            True,
            True,
            _("Customers with a purchase in the period."),
        ),
        FigureSpec(
            "revenue",
            _("Net revenue (%(currency)s)") % {"currency": currency},
            "money",
            True,
            True,
            _("Sales in the period, net of refunds."),
        ),
        FigureSpec(
            "aov",
            _("Average order value (%(currency)s)") % {"currency": currency},
            "money",
            True,
            True,
            _("Net revenue ÷ purchases in the period."),
        ),
        FigureSpec(
            "frequency",
            _("Purchases per customer per year"),
            "float",
            True,
            True,
            _("How often a customer buys, over a year."),
        ),
        FigureSpec(
            "members_share",
            _("Members' share of sales"),
            "pct",
            None,
            True,
            _("Members' net revenue ÷ all net revenue in the period."),
        ),
        FigureSpec(
            "window_repeat_rate",
            _("New customers who came back"),
            "pct",
            True,
            False,
            _(
                "Of the customers whose first purchase fell in the period, the share who have bought again "
                "since."
            ),
        ),
        FigureSpec("purchases", _("Purchases"), "int", True, False),
        FigureSpec(
            "customers",
            _("Customers"),
            "int",
            None,
            False,
            _("Customers with a purchase up to the period's end."),
        ),
        FigureSpec("active_at_start", _("Active at the period's start"), "int", None, False),
        FigureSpec("lapsed", _("Lapsed during the period"), "int", False, False),
    ]


@dataclass(frozen=True)
class Change:
    arrow: str  # ▲ ▼ or =, hidden from screen readers: the words say the same
    words: str
    tone: str  # good, bad, neutral: a colour that repeats what the words say


@dataclass(frozen=True)
class HeadlineFigure:
    key: str
    label: str
    value: str
    change: Change | None
    help: str
    missing: bool  # the data cannot support the figure (shown as a dash, with why)


def change(*, kind: str, current: Any, previous: Any, better: bool | None) -> Change | None:
    """The change from the previous period in words: points for shares, per cent otherwise."""
    if current is None or previous is None:
        return None
    before = display(previous, kind)
    if kind == "pct":
        diff = round((float(current) - float(previous)) * 100, 1)
        amount = formats.number_format(abs(diff), 1)
        if diff == 0:
            return Change("=", _("unchanged from %(previous)s") % {"previous": before}, "neutral")
        direction = diff > 0
        words = (
            _("up %(amount)s points from %(previous)s")
            if direction
            else _("down %(amount)s points from %(previous)s")
        ) % {"amount": amount, "previous": before}
    else:
        now, then = float(Decimal(str(current))), float(Decimal(str(previous)))
        if now == then:
            return Change("=", _("unchanged from %(previous)s") % {"previous": before}, "neutral")
        direction = now > then
        if then == 0:
            words = _("up from %(previous)s") % {"previous": before}
        else:
            amount = formats.number_format(abs(now - then) / abs(then) * 100, 0)
            words = (
                _("up %(amount)s %% from %(previous)s")
                if direction
                else _("down %(amount)s %% from %(previous)s")
            ) % {"amount": amount, "previous": before}
    tone = "neutral" if better is None else ("good" if direction == better else "bad")
    return Change("▲" if direction else "▼", words, tone)


def headline(period: PeriodReport, currency: str) -> list[HeadlineFigure]:
    current, previous = period["current"], period.get("previous")
    figures = []
    for spec in figure_specs(currency):
        if not spec.card:
            continue
        value = current.get(spec.key)
        figures.append(
            HeadlineFigure(
                key=spec.key,
                label=spec.label,
                value=display(value, spec.kind),
                change=change(
                    kind=spec.kind,
                    current=value,
                    previous=previous.get(spec.key) if previous else None,
                    better=spec.better,
                ),
                help=spec.help,
                missing=value is None,
            )
        )
    return figures


def headline_table(period: PeriodReport, currency: str, period_key: str) -> DataTable:
    current, previous = period["current"], period.get("previous")
    rows = []
    for spec in figure_specs(currency):
        value = current.get(spec.key)
        before = previous.get(spec.key) if previous else None
        moved = change(kind=spec.kind, current=value, previous=before, better=spec.better)
        rows.append(
            [
                spec.label,
                Cell(value, spec.kind),
                Cell(before, spec.kind),
                moved.words if moved else DASH,
                spec.help,
            ]
        )
    return DataTable(
        key="headline",
        caption=_("Headline figures: %(period)s") % {"period": period_labels()[period_key]},
        columns=[
            Column(_("Figure")),
            Column(_("This period")),
            Column(_("Previous period")),
            Column(_("Change")),
            Column(_("What it is")),
        ],
        rows=rows,
        notes=[
            _(
                "— : no figure, because no customer in the period gives it a base (for example, nobody was "
                "active at its start for churn)."
            )
        ],
    )


@dataclass(frozen=True)
class Chart:
    title: str  # shown as the figure's caption, and the image's accessible name
    svg: SafeString


def _chart(draw: Any, **kwargs: Any) -> Chart:
    return Chart(title=kwargs["title"], svg=draw(**kwargs))


@dataclass
class Section:
    key: str  # the section's id, and ?export=<key> of its table
    heading: str
    intro: str
    charts: list[Chart]
    table: DataTable
    notes: list[str] = field(default_factory=list)
    warning: str = ""  # a visible caution above the chart


def _money(value: str | None) -> float | None:
    return float(value) if value is not None else None


def _money_label(value: float) -> str:
    return formats.number_format(value, 0, force_grouping=True)


def _pct_label(value: float) -> str:
    return percent(value, 0)


def cohort_section(insight: CurrencyInsight) -> Section:
    cohorts = insight.cohorts
    months = [str(n) for n in range(1, 13)]
    table = DataTable(
        key="cohorts",
        caption=_("Cohort retention: share of each month's new customers who bought again"),
        columns=[Column(_("First purchase in")), Column(_("Customers"), "int")]
        + [Column(_("Month %(n)s") % {"n": n}, "pct") for n in months],
        rows=[[row["month"], row["size"], *row["retention"][:12]] for row in cohorts],
        notes=[_("— : that month has not ended yet.")],
    )
    chart = _chart(
        charts.heatmap,
        chart_id="chart-cohorts",
        title=table.caption,
        desc=_(
            "One row per month of first purchase (with its number of new customers), one column per month "
            "after it, 1 to 12; each cell shows the share who bought in that month. Empty cells: the month "
            "has not ended yet."
        ),
        row_labels=[
            f"{row['month']} ({formats.number_format(row['size'], 0, force_grouping=True)})"
            for row in cohorts
        ],
        column_labels=months,
        values=[(row["retention"] + [None] * 12)[:12] for row in cohorts],
        fmt=_pct_label,
    )
    return Section(
        key="cohorts",
        heading=_("Cohort retention"),
        intro=_(
            "Customers grouped by the month of their first purchase (rows, with how many there were); the "
            "columns are the months after it, and each cell is the share of the group who bought in that "
            "month. A darker cell is a higher share; every cell also says its share."
        ),
        charts=[chart] if cohorts else [],
        table=table,
    )


def monthly_section(insight: CurrencyInsight, currency: str) -> Section:
    months = insight.monthly
    table = DataTable(
        key="monthly",
        caption=_("Repeat purchase rate and churn by month"),
        columns=[
            Column(_("Month")),
            Column(_("Customers"), "int"),
            Column(_("Customers who bought"), "int"),
            Column(_("Purchases"), "int"),
            Column(_("Net revenue"), "money", currency),
            Column(_("Repeat purchase rate"), "pct"),
            Column(_("Churn rate"), "pct"),
            Column(_("Active at the month's start"), "int"),
            Column(_("Lapsed during the month"), "int"),
        ],
        rows=[
            [
                m["month"],
                m["customers"],
                m["active_customers"],
                m["purchases"],
                m["revenue"],
                m["repeat_rate"],
                m["churn_rate"],
                m["active_at_start"],
                m["lapsed"],
            ]
            for m in months
        ],
        notes=[_("— : no customer gives the figure a base that month.")],
    )
    chart = _chart(
        charts.line_chart,
        chart_id="chart-monthly",
        title=table.caption,
        desc=_(
            "Two lines over the months: the repeat purchase rate (solid line, round markers) and the churn "
            "rate (dashed line, square markers), in per cent."
        ),
        x_labels=[m["month"] for m in months],
        series=[
            charts.Series(_("Repeat purchase rate"), [m["repeat_rate"] for m in months]),
            charts.Series(_("Churn rate"), [m["churn_rate"] for m in months]),
        ],
        fmt=_pct_label,
    )
    return Section(
        key="monthly",
        heading=_("Repeat purchases and churn by month"),
        intro=_(
            "Repeat purchase rate: customers with two or more purchases ÷ customers with one or more, at "
            "each month's end. Churn rate: customers active at the month's start who lapsed during it ÷ "
            "those active at its start."
        ),
        charts=[chart] if months else [],
        table=table,
    )


def tiers_section(insight: CurrencyInsight, currency: str) -> Section:
    tiers = insight.tiers
    fitted = insight.model.get("state") == "fitted"
    labels = [tier["tier"] or _("Non-members") for tier in tiers]
    table = DataTable(
        key="tiers",
        caption=_("Customer lifetime value per tier (%(currency)s per customer)") % {"currency": currency},
        columns=[
            Column(_("Tier")),
            Column(_("Customers"), "int"),
            Column(_("Historic CLV"), "money", currency),
            Column(_("Predicted 12-month CLV"), "money", currency),
        ],
        rows=[
            [label, tier["customers"], tier["historic_clv"], tier["predicted_clv"]]
            for label, tier in zip(labels, tiers, strict=True)
        ],
    )
    if not fitted:
        table.notes.append(
            _(
                "— : no predicted CLV, because the model was not fitted for this currency (see “The model” "
                "below)."
            )
        )
    chart = _chart(
        charts.grouped_bars,
        chart_id="chart-tiers",
        title=table.caption,
        desc=_(
            "For each tier and for non-members, two bars: historic CLV (plain) and predicted 12-month CLV "
            "(hatched), each labelled with its amount. A dash where there is no prediction."
        ),
        groups=labels,
        series=[
            charts.Series(_("Historic CLV"), [_money(tier["historic_clv"]) for tier in tiers]),
            charts.Series(_("Predicted 12-month CLV"), [_money(tier["predicted_clv"]) for tier in tiers]),
        ],
        fmt=_money_label,
    )
    return Section(
        key="tiers",
        heading=_("Lifetime value per tier"),
        intro=_(
            "Historic CLV: net revenue per customer since the first purchase. Predicted 12-month CLV: what "
            "the model expects a customer to spend in the next 12 months. Tiers as they were when the "
            "figures were made."
        ),
        charts=[chart] if tiers else [],
        table=table,
    )


def comparison_section(period: PeriodReport, currency: str) -> Section:
    segments = period.get("segments") or {}
    names = segment_labels()
    keys = [key for key in names if key in segments]
    table = DataTable(
        key="segments",
        caption=_("Members and non-members, engaged and not engaged"),
        columns=[
            Column(_("Group")),
            Column(_("Customers"), "int"),
            Column(_("Customers who bought"), "int"),
            Column(_("Purchases"), "int"),
            Column(_("Net revenue"), "money", currency),
            Column(_("Repeat purchase rate"), "pct"),
            Column(_("Purchases per customer per year"), "float"),
            Column(_("Average order value"), "money", currency),
            Column(_("Historic CLV"), "money", currency),
        ],
        rows=[
            [
                names[key],
                segments[key]["customers"],
                segments[key]["active_customers"],
                segments[key]["purchases"],
                segments[key]["revenue"],
                segments[key]["repeat_rate"],
                segments[key]["frequency"],
                segments[key]["aov"],
                segments[key]["historic_clv"],
            ]
            for key in keys
        ],
        notes=[_("— : the group has no customers in this period.")],
    )
    labels = [names[key] for key in keys]
    drawn = []
    # (chart, title, the figure of one segment, its label)
    drawings: list[tuple[str, str, Callable[[Segment], float | None], Callable[[float], str]]] = [
        ("repeat_rate", _("Repeat purchase rate"), lambda row: row["repeat_rate"], _pct_label),
        (
            "frequency",
            _("Purchases per customer per year"),
            lambda row: row["frequency"],
            lambda v: formats.number_format(v, 1),
        ),
        (
            "historic_clv",
            _("Historic CLV (%(currency)s)") % {"currency": currency},
            lambda row: _money(row["historic_clv"]),
            _money_label,
        ),
    ]
    for chart_key, title, figure, fmt in drawings:
        values = [figure(segments[key]) for key in keys]
        drawn.append(
            _chart(
                charts.bars,
                chart_id=f"chart-segments-{chart_key}",
                title=title,
                desc=_("%(figure)s for members, non-members, engaged members and members not engaged.")
                % {"figure": title},
                labels=labels,
                values=values,
                fmt=fmt,
            )
        )
    return Section(
        key="segments",
        heading=_("Members vs non-members, engaged vs not engaged"),
        intro=_(
            "Engaged members posted, reviewed, reacted or attended an event in the period; only members can "
            "be engaged."
        ),
        warning=_(
            "These are comparisons, not proof of cause: members and community regulars may buy more because "
            "they were keener customers to begin with, not because they joined or took part."
        ),
        charts=drawn if keys else [],
        table=table,
    )


def _gift_rows(period: PeriodReport) -> list[list[Any]]:
    """Gifts (membership/campaigns/gifts.py) by campaigns and by staff; none in runs stored
    before gifts existed."""
    gifts = period.get("gifts")
    if not gifts:
        return []
    labels = {
        "campaigns": (
            _("Coupons gifted by campaigns"),
            _("Coupons gifted by campaigns, used in the shop"),
            _("Points gifted by campaigns"),
        ),
        "staff": (
            _("Coupons gifted by staff"),
            _("Coupons gifted by staff, used in the shop"),
            _("Points gifted by staff"),
        ),
    }
    rows: list[list[Any]] = []
    for key, (given, used, points) in labels.items():
        cost = gifts.get(key)
        if cost is None:
            continue
        rows += [
            [given, cost["coupons_given"], cost["coupons_given_value"]],
            [
                _("of which counted, not valued (percentage or free shipping)"),
                cost["coupons_given_unvalued"],
                None,
            ],
            [used, cost["coupons_used"], cost["coupons_used_value"]],
            [
                _("of which counted, not valued (percentage or free shipping)"),
                cost["coupons_used_unvalued"],
                None,
            ],
            [points, cost["points"], None],
        ]
    return rows


def programme_section(period: PeriodReport, currency: str) -> Section:
    programme = period.get("programme") or {}
    table = DataTable(
        key="programme",
        caption=_("Programme cost and pull"),
        columns=[Column(_("Figure")), Column(_("Number"), "int"), Column(_("Value"), "money", currency)],
        rows=[
            [
                _("Coupons taken for points"),
                programme.get("coupons_redeemed"),
                programme.get("coupons_redeemed_value"),
            ],
            [
                _("of which counted, not valued (percentage or free shipping)"),
                programme.get("coupons_redeemed_unvalued"),
                None,
            ],
            [
                _("Coupons used in the shop"),
                programme.get("coupons_used"),
                programme.get("coupons_used_value"),
            ],
            [
                _("of which counted, not valued (percentage or free shipping)"),
                programme.get("coupons_used_unvalued"),
                None,
            ],
            [_("Net revenue on orders that used a coupon"), None, programme.get("coupon_order_revenue")],
            [_("Net revenue from referred customers"), None, programme.get("referred_revenue")],
            [_("Points outstanding (spendable and pending)"), programme.get("points_liability"), None],
            *_gift_rows(period),
        ],
        notes=[
            _(
                "Values: fixed-amount coupons at their face value, free products at their price; percentage "
                "and free-shipping coupons are counted, not valued."
            ),
            _("Points outstanding are counted when the figures were made, whatever the period."),
        ],
    )
    valued = [
        (_("Value of coupons taken for points"), programme.get("coupons_redeemed_value")),
        (_("Value of coupons used in the shop"), programme.get("coupons_used_value")),
        *(
            (label, gift["coupons_used_value"])
            for key, label in (
                ("campaigns", _("Value of coupons gifted by campaigns, used")),
                ("staff", _("Value of coupons gifted by staff, used")),
            )
            if (gift := (period.get("gifts") or {}).get(key)) is not None
        ),
        (_("Net revenue on orders that used a coupon"), programme.get("coupon_order_revenue")),
        (_("Net revenue from referred customers"), programme.get("referred_revenue")),
    ]
    chart_rows = [(label, value) for label, value in valued if value is not None]
    chart = _chart(
        charts.bars,
        chart_id="chart-programme",
        title=_("Programme cost and pull (%(currency)s)") % {"currency": currency},
        desc=_(
            "The value of coupons taken and used, and the net revenue on coupon orders and from referred "
            "customers."
        ),
        labels=[label for label, _value in chart_rows],
        values=[_money(value) for _label, value in chart_rows],
        fmt=_money_label,
    )
    return Section(
        key="programme",
        heading=_("Programme cost and pull"),
        intro=_("What the loyalty programme gave away and what came with it, in the period."),
        charts=[chart] if chart_rows else [],
        table=table,
    )


# --- the model --------------------------------------------------------------------------------


@dataclass
class ModelSection:
    state: str  # fitted, too_thin, failed, missing
    explanation: list[str]
    parameters: DataTable | None
    data: DataTable
    holdout: DataTable | None
    holdout_chart: Chart | None
    holdout_summary: str
    technical: str  # the fitter's own message (English) when it failed


def _settings(run: InsightRun) -> dict[str, Any]:
    settings = run.settings or {}
    return {
        "lapse_probability": settings.get("lapse_probability", 0.3),
        "lapse_days": settings.get("lapse_days", 180),
        "min_repeat_buyers": settings.get("min_repeat_buyers", 30),
        "holdout_weeks": settings.get("holdout_weeks", 26),
    }


def model_section(insight: CurrencyInsight, run: InsightRun) -> ModelSection:
    model = insight.model or {}
    state = model.get("state", "missing")
    settings = _settings(run)
    bgnbd, gamma_gamma, holdout = model.get("bgnbd"), model.get("gamma_gamma"), model.get("holdout")
    recency_rule = ngettext(
        "after %(days)s day without a purchase (the recency rule)",
        "after %(days)s days without a purchase (the recency rule)",
        settings["lapse_days"],
    ) % {"days": settings["lapse_days"]}
    explanation: list[str] = []
    if state == "fitted":
        explanation.append(
            _(
                "BG/NBD (Fader, Hardie and Lee 2005) gives each customer's probability of still being a "
                "customer and their expected purchases; Gamma-Gamma gives their expected order value; "
                "together they give the predicted 12-month CLV. A repeat customer counts as lapsed below a "
                "%(p)s probability of being active; a customer with one purchase counts as lapsed %(rule)s."
            )
            % {"p": percent(settings["lapse_probability"], 0), "rule": recency_rule}
        )
        if gamma_gamma is None:
            explanation.append(
                _(
                    "Gamma-Gamma was not fitted (too few repeat buyers with a positive order value): no "
                    "predicted CLV."
                )
            )
    elif state == "too_thin":
        explanation.append(
            _(
                "Too few repeat buyers to fit the model: %(repeat)s in this currency, and the store asks for "
                "at least %(min)s (Settings → Retention settings). No predicted figure is shown; instead "
                "every customer counts as lapsed %(rule)s."
            )
            % {
                "repeat": model.get("repeat_buyers", 0),
                "min": model.get("min_repeat_buyers"),
                "rule": recency_rule,
            }
        )
    elif state == "failed":
        explanation.append(
            _(
                "The model could not be fitted to these purchases, so no predicted figure is shown; instead "
                "every customer counts as lapsed %(rule)s."
            )
            % {"rule": recency_rule}
        )
    else:
        explanation.append(
            _("This run holds no model for this currency; every customer counts as lapsed %(rule)s.")
            % {"rule": recency_rule}
        )

    parameters = None
    if state == "fitted":
        parameters = DataTable(
            key="model",
            caption=_("Fitted parameters"),
            columns=[
                Column(_("Model")),
                Column(_("Parameter")),
                Column(_("Value"), "param"),
                Column(_("What it is")),
            ],
            rows=[
                ["BG/NBD", "r", _get(bgnbd, "r"), _("shape of how purchase rates vary between customers")],
                ["BG/NBD", "α", _get(bgnbd, "alpha"), _("scale of the purchase rates (in weeks)")],
                [
                    "BG/NBD",
                    "a",
                    _get(bgnbd, "a"),
                    _("with b, how likely a customer is to stop after a purchase"),
                ],
                [
                    "BG/NBD",
                    "b",
                    _get(bgnbd, "b"),
                    _("with a, how likely a customer is to stop after a purchase"),
                ],
                ["BG/NBD", _("log-likelihood"), _get(bgnbd, "log_likelihood"), _("how well the model fits")],
                ["Gamma-Gamma", "p", _get(gamma_gamma, "p"), _("shape of each customer's order values")],
                ["Gamma-Gamma", "q", _get(gamma_gamma, "q"), _("shape of how average order values vary")],
                ["Gamma-Gamma", "γ", _get(gamma_gamma, "gamma"), _("scale of how average order values vary")],
            ],
            notes=[_("— : not fitted.")] if gamma_gamma is None else [],
        )
    unit = _("weeks") if model.get("unit", "week") == "week" else str(model.get("unit"))
    data = DataTable(
        key="model_data",
        caption=_("The data the model came from"),
        columns=[Column(_("Figure")), Column(_("Value"))],
        rows=[
            [_("Customers"), Cell(model.get("customers"), "int")],
            [_("Repeat buyers (two or more purchases)"), Cell(model.get("repeat_buyers"), "int")],
            [_("Fewest repeat buyers the store asks for"), Cell(model.get("min_repeat_buyers"), "int")],
            [_("Gamma-Gamma fitted on (repeat buyers)"), Cell(_get(gamma_gamma, "customers"), "int")],
            [_("Time unit"), unit],
        ],
    )
    holdout_table = holdout_chart = None
    holdout_summary = ""
    if holdout:
        rows = holdout.get("rows") or []
        holdout_table = DataTable(
            key="holdout",
            caption=ngettext(
                "Holdout check: repeat purchases in the last %(weeks)s week, predicted and actual",
                "Holdout check: repeat purchases in the last %(weeks)s weeks, predicted and actual",
                holdout.get("weeks") or 0,
            )
            % {"weeks": holdout.get("weeks")},
            columns=[
                Column(_("Repeat purchases before the holdout")),
                Column(_("Customers"), "int"),
                Column(_("Actual (mean per customer)"), "float"),
                Column(_("Predicted (mean per customer)"), "float"),
            ],
            rows=[[row["frequency"], row["customers"], row["actual"], row["predicted"]] for row in rows],
        )
        holdout_chart = _chart(
            charts.line_chart,
            chart_id="chart-holdout",
            title=holdout_table.caption,
            desc=_(
                "For customers grouped by their repeat purchases before the holdout weeks (0 to 7 or more), "
                "the mean repeat purchases in the holdout weeks: actual (solid line, round markers) and "
                "predicted by the model fitted without those weeks (dashed line, square markers)."
            ),
            x_labels=[row["frequency"] for row in rows],
            series=[
                charts.Series(_("Actual"), [row["actual"] for row in rows]),
                charts.Series(_("Predicted"), [row["predicted"] for row in rows]),
            ],
            fmt=lambda v: formats.number_format(v, 1),
            x_title=_("Repeat purchases before the holdout weeks"),
            y_title=_("Mean repeat purchases in the holdout"),
        )
        holdout_summary = ngettext(
            "The model was fitted on the purchases up to %(end)s and predicted the %(weeks)s week after it: "
            "%(predicted)s repeat purchases predicted, %(actual)s made.",
            "The model was fitted on the purchases up to %(end)s and predicted the %(weeks)s weeks after it: "
            "%(predicted)s repeat purchases predicted, %(actual)s made.",
            holdout.get("weeks") or 0,
        ) % {
            "end": display(holdout.get("calibration_end"), "date"),
            "weeks": holdout.get("weeks"),
            "predicted": formats.number_format(holdout.get("total_predicted") or 0, 1),
            "actual": formats.number_format(holdout.get("total_actual") or 0, 0, force_grouping=True),
        }
    elif state == "fitted":
        holdout_summary = ngettext(
            "No holdout check: the history is too short or too thin to leave out the last %(weeks)s week.",
            "No holdout check: the history is too short or too thin to leave out the last %(weeks)s weeks.",
            settings["holdout_weeks"],
        ) % {"weeks": settings["holdout_weeks"]}
    return ModelSection(
        state=state,
        explanation=explanation,
        parameters=parameters,
        data=data,
        holdout=holdout_table,
        holdout_chart=holdout_chart,
        holdout_summary=holdout_summary,
        technical=model.get("message", "") if state == "failed" else "",
    )


def _get(report: dict[str, Any] | None, key: str) -> Any:
    return report.get(key) if report else None


def report_tables(
    *, run: InsightRun, insight: CurrencyInsight, period: PeriodReport, period_key: str
) -> dict[str, DataTable]:
    """Every table of the report by its export key."""
    currency = insight.currency
    tables = {"headline": headline_table(period, currency, period_key)}
    for section in (
        cohort_section(insight),
        monthly_section(insight, currency),
        tiers_section(insight, currency),
        comparison_section(period, currency),
        programme_section(period, currency),
    ):
        tables[section.table.key] = section.table
    model = model_section(insight, run)
    for table in (model.parameters, model.data, model.holdout):
        if table is not None:
            tables[table.key] = table
    return tables
