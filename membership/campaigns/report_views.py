"""The campaign report page (/admin/campaigns/<id>/report/) and its CSV: recipients against the
holdout per window, the uplift with its 95 % interval in words, coupon use, opens. Staff only
(campaigns_gate). The figures come from report_selectors; this module only words and lays them
out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..insight.tables import csv_lines
from . import report_selectors
from .gate import campaigns_gate
from .models import Campaign
from .report import MIN_CONVERSIONS, MIN_MEMBERS, GroupWindow, Interval, TooSmall, Verdict, WindowResult

# The columns of the CSV export (documented in docs/campaigns.md, "CSV export"): one row per window.
CSV_COLUMNS = [
    "window_days",
    "verdict",
    "treatment_assigned",
    "treatment_sent",
    "treatment_counted",
    "treatment_still_in_window",
    "treatment_converted",
    "treatment_conversion",
    "treatment_revenue",
    "treatment_revenue_per_member",
    "holdout_assigned",
    "holdout_counted",
    "holdout_still_in_window",
    "holdout_converted",
    "holdout_conversion",
    "holdout_revenue",
    "holdout_revenue_per_member",
    "uplift_conversion",
    "uplift_conversion_low",
    "uplift_conversion_high",
    "uplift_revenue_per_member",
    "uplift_revenue_low",
    "uplift_revenue_high",
    "revenue_verdict",
    "currency",
    "as_of",
]


def _signed(value: float, places: int) -> str:
    # Rounded first: number_format cuts a float's digits off (9.09 would read 9.0).
    text = number_format(round(abs(value), places), decimal_pos=places, use_l10n=True)
    if round(value, places) == 0:
        return text
    # A real minus sign: a hyphen reads as a dash to screen readers.
    return ("+" if value > 0 else "\u2212") + text


def _percent(share: float | None) -> str:
    if share is None:
        return "—"
    return _("%(value)s %%") % {"value": number_format(round(share * 100, 1), decimal_pos=1, use_l10n=True)}


def _money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{number_format(round(amount, 2), decimal_pos=2, use_l10n=True)} {currency}"


def _points(value: float, interval: Interval) -> str:
    return _("%(value)s points (95 %% CI %(low)s to %(high)s)") % {
        "value": _signed(value * 100, 1),
        "low": _signed(interval.low * 100, 1),
        "high": _signed(interval.high * 100, 1),
    }


def _money_change(value: float, interval: Interval, currency: str) -> str:
    return _("%(value)s %(currency)s per member (95 %% CI %(low)s to %(high)s)") % {
        "value": _signed(value, 2),
        "currency": currency,
        "low": _signed(interval.low, 2),
        "high": _signed(interval.high, 2),
    }


def _interval(interval: Interval | None) -> str:
    if interval is None:
        return ""
    return _("%(low)s to %(high)s") % {"low": _percent(interval.low), "high": _percent(interval.high)}


def too_small_words(window: WindowResult) -> list[str]:
    words = {
        TooSmall.FEW_TREATMENT: ngettext(
            "Only %(count)s recipient is counted in this window; at least %(min)s are needed.",
            "Only %(count)s recipients are counted in this window; at least %(min)s are needed.",
            window.treatment.members,
        )
        % {"count": window.treatment.members, "min": MIN_MEMBERS},
        TooSmall.FEW_HOLDOUT: ngettext(
            "Only %(count)s holdout member is counted in this window; at least %(min)s are needed.",
            "Only %(count)s holdout members are counted in this window; at least %(min)s are needed.",
            window.holdout.members,
        )
        % {"count": window.holdout.members, "min": MIN_MEMBERS},
        TooSmall.FEW_TREATMENT_CONVERSIONS: ngettext(
            "%(count)s recipient bought; at least %(min)s purchases in each group are needed.",
            "%(count)s recipients bought; at least %(min)s purchases in each group are needed.",
            window.treatment.converted,
        )
        % {"count": window.treatment.converted, "min": MIN_CONVERSIONS},
        TooSmall.FEW_HOLDOUT_CONVERSIONS: ngettext(
            "%(count)s holdout member bought; at least %(min)s purchases in each group are needed.",
            "%(count)s holdout members bought; at least %(min)s purchases in each group are needed.",
            window.holdout.converted,
        )
        % {"count": window.holdout.converted, "min": MIN_CONVERSIONS},
    }
    return [words[reason] for reason in window.too_small]


def verdict_words(window: WindowResult) -> tuple[str, list[str]]:
    """The plain-language verdict of a window's conversion, and the sentences that explain it."""
    uplift = window.uplift
    if window.verdict == Verdict.NO_HOLDOUT:
        return _("No holdout, nothing to compare with"), [
            _("This campaign kept nobody back, so what it changed cannot be measured.")
        ]
    if window.verdict == Verdict.NOT_YET:
        return _("Too early to tell"), [
            _("No member's %(days)s-day window has ended yet.") % {"days": window.days}
        ]
    if window.verdict == Verdict.TOO_SMALL or uplift is None:
        return _("Too few members to tell yet"), too_small_words(window)
    change = _points(uplift.conversion, uplift.conversion_interval)
    if window.verdict == Verdict.MORE:
        return _("Recipients bought more: %(change)s") % {"change": change}, []
    if window.verdict == Verdict.LESS:
        return _("Recipients bought less: %(change)s") % {"change": change}, []
    return _("No difference we can tell: %(change)s") % {"change": change}, [
        _("The interval includes zero: the campaign may have changed nothing.")
    ]


def revenue_words(window: WindowResult, currency: str) -> str:
    uplift = window.uplift
    if uplift is None:
        return ""
    change = _money_change(uplift.revenue_per_member, uplift.revenue_interval, currency)
    if uplift.revenue_verdict == Verdict.MORE:
        return _("Recipients spent more: %(change)s") % {"change": change}
    if uplift.revenue_verdict == Verdict.LESS:
        return _("Recipients spent less: %(change)s") % {"change": change}
    return _("No difference in spending we can tell: %(change)s") % {"change": change}


@dataclass(frozen=True)
class WindowView:
    """One window as the page shows it: the comparison table's rows and the verdicts."""

    result: WindowResult
    heading: str
    verdict: str
    tone: str  # more / less / neutral: a class for the border; the words carry the meaning
    reasons: list[str]
    revenue: str
    rows: list[tuple[str, str, str]]  # (what, recipients, holdout)


def _rows(treatment: GroupWindow, holdout: GroupWindow, currency: str) -> list[tuple[str, str, str]]:
    return [
        (_("Members counted"), str(treatment.members), str(holdout.members)),
        (_("Still inside the window (not counted yet)"), str(treatment.waiting), str(holdout.waiting)),
        (_("Bought"), str(treatment.converted), str(holdout.converted)),
        (_("Conversion"), _percent(treatment.conversion), _percent(holdout.conversion)),
        (
            _("Conversion, 95 % interval"),
            _interval(treatment.conversion_interval),
            _interval(holdout.conversion_interval),
        ),
        (
            _("Revenue"),
            _money(treatment.revenue_cents / 100, currency),
            _money(holdout.revenue_cents / 100, currency),
        ),
        (
            _("Revenue per member"),
            _money(treatment.revenue_per_member, currency),
            _money(holdout.revenue_per_member, currency),
        ),
    ]


def window_views(page: report_selectors.CampaignReportPage) -> list[WindowView]:
    currency = page.figures.currency
    views = []
    for window in page.figures.windows:
        verdict, reasons = verdict_words(window)
        tone = {Verdict.MORE: "more", Verdict.LESS: "less"}.get(window.verdict, "neutral")
        views.append(
            WindowView(
                result=window,
                heading=ngettext(
                    "Within %(days)s day of entering", "Within %(days)s days of entering", window.days
                )
                % {"days": window.days},
                verdict=verdict,
                tone=tone,
                reasons=reasons,
                revenue=revenue_words(window, currency),
                rows=_rows(window.treatment, window.holdout, currency),
            )
        )
    return views


def _number(value: float | None, places: int = 6) -> str:
    return "" if value is None else f"{value:.{places}f}"


def csv_rows(page: report_selectors.CampaignReportPage) -> Iterator[list[Any]]:
    """The export: machine-readable (dot decimals, shares as fractions 0…1, money in units)."""
    figures = page.figures
    yield list(CSV_COLUMNS)
    for window in figures.windows:
        t, h, uplift = window.treatment, window.holdout, window.uplift
        yield [
            window.days,
            window.verdict.value,
            figures.treatment.assigned,
            figures.treatment.sent,
            t.members,
            t.waiting,
            t.converted,
            _number(t.conversion),
            f"{t.revenue_cents / 100:.2f}",
            _number(t.revenue_per_member, 2),
            figures.holdout.assigned,
            h.members,
            h.waiting,
            h.converted,
            _number(h.conversion),
            f"{h.revenue_cents / 100:.2f}",
            _number(h.revenue_per_member, 2),
            _number(uplift.conversion if uplift else None),
            _number(uplift.conversion_interval.low if uplift else None),
            _number(uplift.conversion_interval.high if uplift else None),
            _number(uplift.revenue_per_member if uplift else None, 2),
            _number(uplift.revenue_interval.low if uplift else None, 2),
            _number(uplift.revenue_interval.high if uplift else None, 2),
            uplift.revenue_verdict.value if uplift else "",
            figures.currency,
            page.as_of.isoformat(),
        ]


def _campaign_url(name: str, campaign: Campaign | None = None) -> str | None:
    # The campaign pages belong to campaign_urls.py: link to them once they are mounted.
    try:
        return reverse(f"campaigns_admin:{name}", args=[campaign.pk] if campaign else [])
    except NoReverseMatch:
        return None


class CampaignReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/report.html"
    header_icon = "doc-full"
    page_title = gettext_lazy("Campaign report")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.campaign = get_object_or_404(
            Campaign.objects.select_related("segment"), pk=kwargs["campaign_id"]
        )
        self.page = report_selectors.campaign_report(self.campaign)
        if request.GET.get("export") == "csv":
            response = HttpResponse(
                "".join(csv_lines(csv_rows(self.page))), content_type="text/csv; charset=utf-8"
            )
            filename = f"campaign-{self.campaign.pk}-report-{self.page.as_of:%Y-%m-%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.campaign.name

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        items = [{"url": reverse("wagtailadmin_home"), "label": _("Home")}]
        if url := _campaign_url("campaign_list"):
            items.append({"url": url, "label": _("Campaigns")})
        if url := _campaign_url("campaign_detail", self.campaign):
            items.append({"url": url, "label": self.campaign.name})
        items.append({"url": "", "label": _("Report")})
        return items

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        figures = self.page.figures
        context.update(
            campaign=self.campaign,
            page_data=self.page,
            figures=figures,
            windows=window_views(self.page),
            coupon_use=_percent(figures.treatment.coupon_use),
            coupons_given_share=_percent(
                figures.treatment.coupons_used / figures.treatment.coupons_given
                if figures.treatment.coupons_given
                else None
            ),
            open_rate=_percent(figures.treatment.open_rate),
            min_members=MIN_MEMBERS,
            min_conversions=MIN_CONVERSIONS,
            other_currencies=[
                (other.currency, other.orders, _money(other.cents / 100, other.currency))
                for other in figures.other_currencies
            ],
            export_url="?export=csv",
        )
        return context


campaign_report = campaigns_gate(CampaignReportView.as_view())
