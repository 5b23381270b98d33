"""The retention pages in the Wagtail admin: the report (/admin/retention/) and the at-risk
list (/admin/retention/at-risk/), with their CSV exports. Staff and superusers only.

Thin views: check the permission, read the stored run through the selectors, render. A page
never computes a figure from orders; before the first refresh it says how to make one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from asgiref.sync import sync_to_async
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..campaigns.access import can_send_campaigns
from ..campaigns.at_risk_actions import at_risk_bulk
from ..campaigns.segment_forms import AtRiskBulkForm
from . import report as report_content
from . import selectors
from .models import CurrencyInsight
from .tables import (
    DataTable,
    csv_lines,
    customer_columns,
    customer_csv_lines,
    display,
    reason_labels,
    reasons_in_words,
    show_date,
)
from .types import PERIODS


def forbidden(request: HttpRequest, exc: PermissionDenied) -> TemplateResponse:
    # A plain 403 (Wagtail would turn a raised PermissionDenied into a redirect home, which
    # hides from the person and from tests that the page is closed to them).
    return TemplateResponse(
        request,
        "membership/admin/retention/forbidden.html",
        {"message": str(exc) or _("You may not see this page."), "page_title": _("Retention")},
        status=403,
    )


class RetentionAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        try:
            selectors.check_view_retention_permission(request.user)
        except PermissionDenied as exc:
            return forbidden(request, exc)
        return super().dispatch(request, *args, **kwargs)


def _say_unknown_choices(
    request: HttpRequest,
    figures: selectors.RunFigures | selectors.RetentionReport | None,
    period: str | None,
) -> None:
    """A period or currency the run does not have falls back to the default; say so, so the
    reader never takes the default's figures for what they asked."""
    if period and period not in PERIODS:
        messages.error(
            request, _("There is no period “%(period)s”; showing the default.") % {"period": period}
        )
    asked = (request.GET.get("currency") or "").strip().upper()
    insight = figures.insight if figures else None
    if asked and insight is not None and insight.currency != asked:
        messages.error(
            request,
            _("The figures hold no currency “%(asked)s”; showing %(currency)s.")
            % {"asked": asked, "currency": insight.currency},
        )


def _query(request: HttpRequest, **changes: Any) -> str:
    """The page's query string with ``changes`` applied (None drops a key): links and exports
    keep the filters in force."""
    params: dict[str, Any] = {
        key: value for key, value in request.GET.items() if key not in {"export", "page"}
    }
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(params) if params else "?"


def _csv_response(lines: Iterator[str], filename: str) -> HttpResponse:
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _streaming_csv(request: HttpRequest, lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    """Stream ``lines`` (a generator that queries as it goes) in the language and time zone of
    this request: the body is produced after the view has returned, outside Wagtail's
    override of both. Under ASGI each step runs in the sync thread through an async iterator,
    so Django streams it instead of collecting the whole file first."""
    language, zone = translation.get_language(), timezone.get_current_timezone()
    end = object()

    def step() -> Any:
        with translation.override(language), timezone.override(zone):
            return next(lines, end)

    if isinstance(request, ASGIRequest):

        async def content() -> AsyncIterator[str]:
            while (part := await sync_to_async(step)()) is not end:
                yield part

        body: Any = content()
    else:

        def content_sync() -> Iterator[str]:
            while (part := step()) is not end:
                yield part

        body = content_sync()
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _breadcrumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        *({"url": url, "label": label} for url, label in items),
    ]


class RetentionReportView(RetentionAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/retention/report.html"
    header_icon = "pick"
    page_title = gettext_lazy("Retention")

    def get(self, request, *args, **kwargs):
        period = request.GET.get("period") or selectors.DEFAULT_PERIOD
        self.report = selectors.retention_report(currency=request.GET.get("currency"), period=period)
        export = request.GET.get("export")
        if not export:
            _say_unknown_choices(request, self.report, request.GET.get("period"))
        if export:
            return self.export(export)
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        insight = self.report.insight if self.report else None
        return insight.currency if insight else ""

    def get_breadcrumbs_items(self):
        return _breadcrumbs(("", _("Retention")))

    def _tables(self) -> dict[str, DataTable]:
        report = self.report
        if report is None or report.insight is None or report.period is None:
            return {}
        return report_content.report_tables(
            run=report.run, insight=report.insight, period=report.period, period_key=report.period_key
        )

    def export(self, key: str) -> HttpResponse:
        table = self._tables().get(key)
        if table is None:
            raise Http404(_("No such table."))
        report = self.report
        filename = (
            f"retention-{key}-{report.insight.currency}-{report.period_key}-{report.run.as_of:%Y-%m-%d}.csv"
        )
        return _csv_response(csv_lines(table.csv_rows()), filename)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report
        context.update(
            report=report,
            running=selectors.running_refresh() if report is None else None,
            periods=report_content.period_labels(),
            at_risk_url=reverse("membership_retention_at_risk"),
        )
        if report is None or report.insight is None or report.period is None:
            return context
        insight, period, currency = report.insight, report.period, report.insight.currency
        sections = [
            report_content.cohort_section(insight),
            report_content.monthly_section(insight, currency),
            report_content.tiers_section(insight, currency),
            report_content.comparison_section(period, currency),
            report_content.programme_section(period, currency),
        ]
        headline_table = report_content.headline_table(period, currency, report.period_key)
        model = report_content.model_section(insight, report.run)
        for table in [
            headline_table,
            *(section.table for section in sections),
            model.parameters,
            model.data,
            model.holdout,
        ]:
            if table is not None:
                table.export_url = _query(
                    self.request, currency=currency, period=report.period_key, export=table.key
                )
        context.update(
            insight=insight,
            period=period,
            period_label=report_content.period_labels()[report.period_key],
            period_dates=(show_date(period["start"]), show_date(period["end"]))
            if period.get("start")
            else None,
            previous_label=report_content.previous_period_label(report.period_key),
            figures=report_content.headline(period, currency),
            headline_table=headline_table,
            sections=sections,
            model=model,
        )
        return context


class AtRiskFilterForm(forms.Form):
    tier = forms.TypedChoiceField(label=gettext_lazy("Tier"), required=False, coerce=int, empty_value=None)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    min_value = forms.DecimalField(
        label=gettext_lazy("Value at risk at least"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )

    def __init__(self, *args, tiers: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The tiers the run saw (rows carry the tier they had then), read with the run.
        # Both are the choice fields declared above (``fields`` holds copies of them).
        cast(forms.ChoiceField, self.fields["tier"]).choices = [("", _("Any tier")), *tiers]
        cast(forms.ChoiceField, self.fields["reason"]).choices = [
            ("", _("Any reason")),
            *reason_labels().items(),
        ]

    def filters(self) -> selectors.AtRiskFilters:
        """The valid filters; a field that does not validate filters nothing (and says why)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.AtRiskFilters(
            tier_id=data.get("tier"),
            reason=data.get("reason") or None,
            min_value=data.get("min_value"),
        )


class AtRiskView(RetentionAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/retention/at_risk.html"
    header_icon = "warning"
    page_title = gettext_lazy("Members at risk")

    bulk_form: AtRiskBulkForm | None = None

    def _load(self, request) -> CurrencyInsight | None:
        self.figures = selectors.run_figures(currency=request.GET.get("currency"), report=False)
        insight = self.figures.insight if self.figures else None
        self.form = AtRiskFilterForm(
            request.GET or None, tiers=selectors.tier_choices(insight) if insight is not None else []
        )
        return insight

    def _page(self, request, insight: CurrencyInsight | None) -> None:
        self.page = None
        if insight is not None:
            self.page = selectors.at_risk_page(
                insight=insight, filters=self.form.filters(), page_number=request.GET.get("page") or 1
            )

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export and export not in {"customers", "at_risk"}:
            raise Http404(_("No such table."))
        insight = self._load(request)
        if export:
            return self.export(export)
        _say_unknown_choices(request, self.figures, None)
        self._page(request, insight)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        """The bulk actions (membership/campaigns/at_risk_actions.py); the filters stay in the
        address, so "everyone matching" means what the page shows."""
        insight = self._load(request)
        if insight is None:
            raise Http404(_("No retention figures yet."))
        try:
            outcome = at_risk_bulk(request, currency=insight.currency, filters=self.form.filters())
        except PermissionDenied as exc:
            return forbidden(request, exc)
        if not isinstance(outcome, AtRiskBulkForm):
            return outcome
        self.bulk_form = outcome
        self._page(request, insight)
        return self.render_to_response(self.get_context_data(), status=400)

    def export(self, kind: str) -> StreamingHttpResponse:
        insight = self.figures.insight if self.figures else None
        if insight is None:
            raise Http404(_("No retention figures yet."))
        filters = self.form.filters() if kind == "at_risk" else None
        columns = customer_columns(insight.currency)
        chunks = selectors.customer_export_rows(insight=insight, filters=filters)
        name = "customers" if kind == "customers" else "at-risk"
        filename = f"retention-{name}-{insight.currency}-{insight.run.as_of:%Y-%m-%d}.csv"
        return _streaming_csv(self.request, customer_csv_lines(columns, chunks), filename)

    def get_breadcrumbs_items(self):
        return _breadcrumbs((reverse("membership_retention"), _("Retention")), ("", _("Members at risk")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures, page = self.figures, self.page
        context.update(
            listing=figures,
            page=page,
            running=selectors.running_refresh() if figures is None else None,
            form=self.form,
            report_url=reverse("membership_retention"),
            # Saving the list as a segment, a gift or a campaign: staff who may send campaigns.
            bulk_form=self.bulk_form or AtRiskBulkForm(),
            can_act=can_send_campaigns(self.request.user),
            ticked={int(pk) for pk in self.request.POST.getlist("member") if pk.isdigit()},
        )
        if figures is None or figures.insight is None or page is None:
            return context
        insight = figures.insight
        context.update(
            insight=insight,
            rows=[
                {
                    "row": row,
                    "value_at_risk": display(row.value_at_risk, "money"),
                    "predicted_clv": display(row.predicted_clv, "money"),
                    "p_alive": display(row.p_alive, "pct"),
                    "reasons": reasons_in_words(row.reasons, row.reason_details or {}),
                }
                for row in page.object_list
            ],
            page_query=_query(self.request, currency=insight.currency),
            export_list_url=_query(self.request, currency=insight.currency, export="at_risk"),
            export_all_url=_query(self.request, currency=insight.currency, export="customers"),
            fitted=(insight.model or {}).get("state") == "fitted",
        )
        return context


def member_card(*, member) -> dict[str, Any]:
    """The retention card on a member's admin page: the latest run's figures for the member,
    one block per currency (two queries). The caller checks the permission."""
    retention = selectors.member_retention(member=member)
    if retention is None:
        return {"run": None, "running": selectors.running_refresh(), "currencies": []}
    currencies = []
    for row in retention.rows:
        fitted = (row.currency_insight.model or {}).get("state") == "fitted"
        code = row.currency_insight.currency
        currencies.append(
            {
                "code": code,
                "fitted": fitted,
                "figures": [
                    (_("Purchases"), display(row.purchases, "int")),
                    (_("First purchase"), display(row.first_purchase, "date")),
                    (_("Last purchase"), display(row.last_purchase, "date")),
                    (
                        _("Net revenue (historic CLV, %(currency)s)") % {"currency": code},
                        display(row.net_revenue, "money"),
                    ),
                    (_("Probability active"), display(row.p_alive, "pct")),
                    (_("Expected purchases in 90 days"), display(row.expected_purchases_90d, "float")),
                    (
                        _("Predicted 12-month CLV (%(currency)s)") % {"currency": code},
                        display(row.predicted_clv, "money"),
                    ),
                    (_("Lapsed"), display(row.lapsed, "bool")),
                    (
                        _("Value at risk (%(currency)s)") % {"currency": code},
                        display(row.value_at_risk, "money"),
                    ),
                ],
                "reasons": reasons_in_words(row.reasons, row.reason_details or {}),
            }
        )
    return {"run": retention.run, "running": None, "currencies": currencies}


def dashboard_retention() -> dict[str, Any]:
    """The Loyalty panel's three retention figures, ready to show (two queries). The caller
    checks the permission."""
    headline = selectors.dashboard_headline()
    return {
        "headline": headline,
        "url": reverse("membership_retention"),
        "repeat_rate": display(headline.repeat_rate, "pct") if headline else "",
        "churn_rate": display(headline.churn_rate, "pct") if headline else "",
        "clv": display(headline.clv, "money") if headline else "",
    }
