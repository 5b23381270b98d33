"""The segment pages of the admin (/admin/campaigns/segments/): the list, building and changing
a segment with its member count as the conditions change, its members (a page and a CSV), and
deleting one no campaign uses. Staff only (gate.py).

Each page costs a fixed number of queries whatever the number of members: the list counts
every segment on the page in one query, the members page reads one page of members with their
retention figures as subqueries (tests/membership/campaigns/test_segments_views.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, FloatField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

# The retention pages' CSV streaming (the request's language and time zone kept while the
# body is produced after the view returned) and their display of figures.
from ..insight.tables import csv_lines, display, safe_cell
from ..insight.views import _streaming_csv
from ..models import User
from .conditions import conditions_q, retention_rows, segment_members
from .gate import campaigns_gate
from .models import Segment
from .segment_forms import SegmentForm
from .segments import SegmentInUse, segment_delete, segment_save

SEGMENTS_PER_PAGE = 50
MEMBERS_PER_PAGE = 50
EXPORT_CHUNK = 2000


def _breadcrumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        {"url": reverse("campaigns_admin:segment_list"), "label": _("Segments")},
        *({"url": url, "label": label} for url, label in items),
    ]


def _for_segment(name: str, segment: Segment) -> str:
    # The gift and campaign pages (other areas') take the segment from the address.
    return reverse(name) + f"?segment={segment.pk}"


def segment_counts(segments: Sequence[Segment]) -> dict[int, int]:
    """Every segment's member count in one query (a filtered count per segment)."""
    if not segments:
        return {}
    counts = User.objects.filter(is_active=True).aggregate(
        **{
            f"s{segment.pk}": Count("pk", filter=conditions_q(segment.conditions or {}))
            for segment in segments
        }
    )
    return {segment.pk: counts[f"s{segment.pk}"] for segment in segments}


# --- the list ---------------------------------------------------------------------------------------


class SegmentListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/segment_list.html"
    header_icon = "group"
    page_title = gettext_lazy("Segments")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return [
            {"url": reverse("wagtailadmin_home"), "label": _("Home")},
            {"url": "", "label": _("Segments")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        segments = Segment.objects.annotate(campaign_count=Count("campaigns")).order_by("name")
        page = Paginator(segments, SEGMENTS_PER_PAGE).get_page(self.request.GET.get("page") or 1)
        rows = list(page.object_list)
        counts = segment_counts(rows)
        context.update(
            page=page,
            rows=[{"segment": segment, "count": counts[segment.pk]} for segment in rows],
            new_url=reverse("campaigns_admin:segment_new"),
        )
        return context


# --- building and changing ---------------------------------------------------------------------------


class SegmentFormView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/segment_form.html"
    header_icon = "group"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        pk = kwargs.get("pk")
        self.segment: Segment | None = get_object_or_404(Segment, pk=pk) if pk is not None else None
        self.count: int | None = None

    def get_page_title(self) -> str:
        return self.segment.name if self.segment else _("New segment")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(("", self.get_page_title()))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = SegmentForm(segment=self.segment)
        if self.segment is not None:
            self.count = segment_members(self.segment).count()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = SegmentForm(request.POST, segment=self.segment)
        if "update_count" in request.POST:
            # The no-JavaScript count: show how many match, save nothing.
            self.form.fields["name"].required = False
            if self.form.is_valid():
                self.count = User.objects.filter(conditions_q(self.form.conditions), is_active=True).count()
            return self.render_to_response(
                self.get_context_data(), status=200 if self.form.is_valid() else 400
            )
        if self.form.is_valid():
            data = self.form.cleaned_data
            try:
                segment = segment_save(
                    segment=self.segment,
                    name=data["name"],
                    description=data["description"],
                    conditions=self.form.conditions,
                    author=request.user if isinstance(request.user, User) else None,
                )
            except ValidationError as error:
                for key, errors in error.message_dict.items():
                    for message in errors:
                        self.form.add_error(key if key in self.form.fields else None, message)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("campaigns_admin:segment_members", pk=segment.pk)
        return self.render_to_response(self.get_context_data(), status=400)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.form,
            segment=self.segment,
            count=self.count,
            count_url=reverse("campaigns_admin:segment_count"),
        )
        return context


@require_POST
def segment_count_view(request: HttpRequest) -> JsonResponse:
    """The live count: the segment form posted as it stands → {"count": n}, or
    {"errors": {field: [message]}} with status 400."""
    form = SegmentForm(request.POST)
    form.fields["name"].required = False
    if not form.is_valid():
        return JsonResponse({"errors": form.count_errors()}, status=400)
    count = User.objects.filter(conditions_q(form.conditions), is_active=True).count()
    return JsonResponse({"count": count})


# --- the members ----------------------------------------------------------------------------------------


def members_with_figures(segment: Segment) -> QuerySet[User]:
    """The segment's members with their tier, points and the latest retention figures of the
    currency they bought most in (subqueries: the page costs the same for any segment)."""
    main_row = retention_rows().filter(member=OuterRef("pk")).order_by("-purchases", "-last_purchase", "pk")
    return (
        segment_members(segment)
        .select_related("standing__tier")
        .annotate(
            segment_p_alive=Subquery(main_row.values("p_alive")[:1], output_field=FloatField()),
            segment_clv=Subquery(
                main_row.values("predicted_clv")[:1],
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            segment_currency=Subquery(main_row.values("currency_insight__currency")[:1]),
            segment_last_purchase=Subquery(
                retention_rows()
                .filter(member=OuterRef("pk"))
                .order_by("-last_purchase")
                .values("last_purchase")[:1]
            ),
            segment_points=Coalesce("standing__spendable_points", 0),
        )
        .order_by("email", "pk")
    )


class SegmentMembersView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/segment_members.html"
    header_icon = "group"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.segment = get_object_or_404(
            Segment.objects.annotate(campaign_count=Count("campaigns")), pk=kwargs["pk"]
        )

    def get_page_title(self) -> str:
        return self.segment.name

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(("", self.segment.name))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        segment = self.segment
        page = Paginator(members_with_figures(segment), MEMBERS_PER_PAGE).get_page(
            self.request.GET.get("page") or 1
        )
        context.update(
            segment=segment,
            page=page,
            rows=[
                {
                    "figures": figures,
                    "p_alive": display(figures.p_alive, "pct"),
                    "clv": display(figures.clv, "money"),
                }
                for figures in map(member_figures, page.object_list)
            ],
            edit_url=reverse("campaigns_admin:segment_edit", kwargs={"pk": segment.pk}),
            delete_url=reverse("campaigns_admin:segment_delete", kwargs={"pk": segment.pk}),
            export_url=reverse("campaigns_admin:segment_export", kwargs={"pk": segment.pk}),
            gift_url=_for_segment("campaigns_admin:gift_new", segment),
            campaign_url=_for_segment("campaigns_admin:campaign_new", segment),
        )
        return context


@dataclass(frozen=True)
class MemberFigures:
    """One row of the members page and the CSV (the annotations of members_with_figures)."""

    member: User
    tier: str
    p_alive: float | None
    clv: Decimal | None
    currency: str
    last_purchase: datetime | None
    points: int


def member_figures(member: User) -> MemberFigures:
    standing = getattr(member, "standing", None)
    tier = standing.tier if standing is not None else None
    clv = getattr(member, "segment_clv", None)
    return MemberFigures(
        member=member,
        tier=tier.name if tier is not None else "",
        p_alive=getattr(member, "segment_p_alive", None),
        # SQLite hands a subquery's decimal back without its trailing zeros.
        clv=None if clv is None else Decimal(clv).quantize(Decimal("0.01")),
        currency=getattr(member, "segment_currency", None) or "",
        last_purchase=getattr(member, "segment_last_purchase", None),
        points=getattr(member, "segment_points", 0) or 0,
    )


def export_columns() -> list[str]:
    return [
        _("Member id"),
        _("Email"),
        _("Name"),
        _("Tier"),
        _("Probability active"),
        _("Predicted 12-month CLV"),
        _("Currency"),
        _("Last purchase"),
        _("Points"),
    ]


def export_rows(segment: Segment, *, chunk_size: int = EXPORT_CHUNK) -> Iterator[list[Any]]:
    """The segment's members in id order, a chunk per query (keyset on the id): memory stays
    flat for any size and no cursor stays open while the download is slow."""
    members = members_with_figures(segment).order_by("pk")
    last = 0
    while True:
        chunk = list(members.filter(pk__gt=last)[:chunk_size])
        for figures in map(member_figures, chunk):
            member = figures.member
            yield [
                member.pk,
                safe_cell(member.email),
                safe_cell(member.name),
                safe_cell(figures.tier),
                "" if figures.p_alive is None else round(figures.p_alive, 4),
                "" if figures.clv is None else str(figures.clv),
                figures.currency,
                timezone.localdate(figures.last_purchase).isoformat() if figures.last_purchase else "",
                figures.points,
            ]
        if len(chunk) < chunk_size:
            return
        last = chunk[-1].pk


class SegmentExportView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        segment = get_object_or_404(Segment, pk=pk)

        def lines() -> Iterator[str]:
            yield from csv_lines([export_columns()])
            yield from csv_lines(export_rows(segment))

        filename = f"segment-{segment.pk}-{timezone.localdate():%Y-%m-%d}.csv"
        return _streaming_csv(request, lines(), filename)


# --- deleting ------------------------------------------------------------------------------------------


class SegmentDeleteView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/segment_delete.html"
    header_icon = "bin"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.segment = get_object_or_404(Segment, pk=kwargs["pk"])
        self.using = list(self.segment.campaigns.order_by("name").values_list("name", flat=True))

    def get_page_title(self) -> str:
        return _("Delete “%(name)s”") % {"name": self.segment.name}

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(
            (reverse("campaigns_admin:segment_members", kwargs={"pk": self.segment.pk}), self.segment.name),
            ("", _("Delete")),
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            segment_delete(segment=self.segment)
        except SegmentInUse as in_use:
            self.using = in_use.campaigns
            return self.render_to_response(self.get_context_data(), status=409)
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": self.segment.name})
        return redirect("campaigns_admin:segment_list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            segment=self.segment,
            using=self.using,
            back_url=reverse("campaigns_admin:segment_members", kwargs={"pk": self.segment.pk}),
        )
        return context


segment_list = campaigns_gate(SegmentListView.as_view())
segment_new = campaigns_gate(SegmentFormView.as_view())
segment_edit = campaigns_gate(SegmentFormView.as_view())
segment_count = campaigns_gate(segment_count_view)
segment_members_page = campaigns_gate(SegmentMembersView.as_view())
# The gate's type names HttpResponse; a streamed CSV is an HttpResponseBase all the same.
segment_export_csv = campaigns_gate(SegmentExportView.as_view())  # type: ignore[arg-type]
segment_delete_page = campaigns_gate(SegmentDeleteView.as_view())
