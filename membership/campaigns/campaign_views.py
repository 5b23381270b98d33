"""The campaign pages of the admin (/admin/campaigns/): the one-off campaigns' list, the form
that builds, sends or schedules one, its page with the sending's progress (and the progress
as JSON for the page's script), and the lifecycle campaigns: switched on or off and edited.
Staff only (gate.py).

Thin views: the form checks, sending.py changes state, tasks.py does the heavy part in the
worker (choosing 50,000 recipients never holds up the page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..models import User
from .campaign_forms import CampaignForm, LifecycleForm
from .gate import campaigns_gate
from .models import Campaign, CampaignRecipient, Segment
from .sending import (
    SKIP_REASON_LABELS,
    campaign_cancel,
    campaign_progress,
    campaign_save,
    campaign_schedule,
    campaign_send_now,
    lifecycle_switch,
)
from .tasks import campaign_queue_enqueue

CAMPAIGNS_PER_PAGE = 50
EDITABLE = (Campaign.State.DRAFT, Campaign.State.SCHEDULED)
# While these, the page polls its progress.
IN_PROGRESS = (Campaign.State.QUEUING, Campaign.State.SENDING)
RState = CampaignRecipient.State


def _breadcrumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        *({"url": url, "label": label} for url, label in items),
    ]


def _staff(request: HttpRequest) -> User:
    # The gate let only a signed-in staff member through.
    assert isinstance(request.user, User)
    return request.user


def report_url(campaign: Campaign) -> str | None:
    """The campaign's report page (report_urls.py), if that page exists in this build."""
    try:
        return reverse("campaigns_admin:campaign_report", args=[campaign.pk])
    except NoReverseMatch:
        return None


def _with_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.annotate(
        n_treatment=Count("recipients", filter=Q(recipients__group=CampaignRecipient.Group.TREATMENT)),
        n_holdout=Count("recipients", filter=Q(recipients__group=CampaignRecipient.Group.HOLDOUT)),
        n_sent=Count("recipients", filter=Q(recipients__state=RState.SENT)),
        n_skipped=Count("recipients", filter=Q(recipients__state=RState.SKIPPED)),
    )


class CampaignListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/campaign_list.html"
    header_icon = "mail"
    page_title = gettext_lazy("Campaigns")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(("", _("Campaigns")))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaigns = _with_counts(
            Campaign.objects.filter(kind=Campaign.Kind.ONE_OFF).select_related("segment", "message")
        ).order_by("-created_at", "-pk")
        page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(self.request.GET.get("page"))
        rows = [{"campaign": campaign, "report_url": report_url(campaign)} for campaign in page]
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "rows": rows,
            "new_url": reverse("campaigns_admin:campaign_new"),
            "lifecycle_url": reverse("campaigns_admin:campaign_lifecycle"),
        }


class CampaignFormView(WagtailAdminTemplateMixin, TemplateView):
    """New (``?segment=<id>`` preselects) or edit (drafts and scheduled campaigns only)."""

    template_name = "membership/admin/campaigns/campaign_form.html"
    header_icon = "mail"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        pk = kwargs.get("pk")
        self.campaign = (
            get_object_or_404(Campaign, pk=pk, kind=Campaign.Kind.ONE_OFF)
            if pk
            else Campaign(kind=Campaign.Kind.ONE_OFF)
        )
        if self.campaign.pk and self.campaign.state not in EDITABLE:
            messages.error(request, _("This campaign has been sent; it can no longer be changed."))
            return redirect("campaigns_admin:campaign_detail", self.campaign.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Edit campaign") if self.campaign.pk else _("New campaign")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(
            (reverse("campaigns_admin:campaign_list"), _("Campaigns")), ("", self.get_page_title())
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        initial = {}
        segment_id = request.GET.get("segment", "")
        if not self.campaign.pk and segment_id.isdigit():
            segment = Segment.objects.filter(pk=int(segment_id)).first()
            if segment is not None:
                initial = {"segment": segment, "name": segment.name}
        self.form = CampaignForm(instance=self.campaign, initial=initial)
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", CampaignForm.SAVE)
        if action not in (CampaignForm.SAVE, CampaignForm.SEND, CampaignForm.SCHEDULE):
            action = CampaignForm.SAVE
        self.form = CampaignForm(request.POST, instance=self.campaign, action=action)
        if not self.form.is_valid():
            return self.render_to_response(self.get_context_data(), status=400)
        try:
            with transaction.atomic():
                campaign = campaign_save(campaign=self.form.save(commit=False), author=_staff(request))
                if action == CampaignForm.SEND:
                    campaign_send_now(campaign=campaign)
                    campaign_queue_enqueue(campaign)
                elif action == CampaignForm.SCHEDULE:
                    campaign_schedule(campaign=campaign)
                elif campaign.state == Campaign.State.SCHEDULED:
                    # Saved without scheduling again: back to a draft, which nothing sends.
                    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT)
        except ValidationError as exc:
            self.form.add_error(None, exc)
            return self.render_to_response(self.get_context_data(), status=400)
        if action == CampaignForm.SEND:
            messages.success(request, _("“%(name)s” is being sent.") % {"name": campaign.name})
        elif action == CampaignForm.SCHEDULE:
            messages.success(request, _("“%(name)s” is scheduled.") % {"name": campaign.name})
        else:
            messages.success(request, _("“%(name)s” is saved as a draft.") % {"name": campaign.name})
        return redirect("campaigns_admin:campaign_detail", campaign.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "form": self.form,
            "campaign": self.campaign,
            "cancel_url": (
                reverse("campaigns_admin:campaign_detail", args=[self.campaign.pk])
                if self.campaign.pk
                else reverse("campaigns_admin:campaign_list")
            ),
        }


class CampaignDetailView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/campaign_detail.html"
    header_icon = "mail"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.campaign = get_object_or_404(
            Campaign.objects.select_related("segment", "message", "gift_reward", "created_by"),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return self.campaign.name

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        parent = (
            (reverse("campaigns_admin:campaign_lifecycle"), _("Lifecycle campaigns"))
            if self.campaign.kind == Campaign.Kind.LIFECYCLE
            else (reverse("campaigns_admin:campaign_list"), _("Campaigns"))
        )
        return _breadcrumbs(parent, ("", self.campaign.name))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaign = self.campaign
        progress = campaign_progress(campaign)
        return {
            **super().get_context_data(**kwargs),
            "campaign": campaign,
            "progress": progress,
            "skipped_by_reason": [
                (SKIP_REASON_LABELS.get(reason, reason) or _("other"), count)
                for reason, count in progress["skipped_by_reason"].items()
            ],
            "polling": campaign.state in IN_PROGRESS,
            "editable": campaign.kind == Campaign.Kind.ONE_OFF and campaign.state in EDITABLE,
            "cancellable": campaign.kind == Campaign.Kind.ONE_OFF
            and campaign.state in (*EDITABLE, *IN_PROGRESS),
            "progress_url": reverse("campaigns_admin:campaign_progress", args=[campaign.pk]),
            "report_url": report_url(campaign),
        }


def campaign_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    return JsonResponse(campaign_progress(campaign))


@require_POST
def campaign_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk, kind=Campaign.Kind.ONE_OFF)
    skipped = campaign_cancel(campaign=campaign)
    if campaign.state == Campaign.State.CANCELLED:
        messages.success(
            request,
            _("“%(name)s” is cancelled; %(count)s queued message(s) will not be sent.")
            % {"name": campaign.name, "count": skipped},
        )
    else:
        messages.error(request, _("This campaign has finished; there is nothing to cancel."))
    return redirect("campaigns_admin:campaign_detail", campaign.pk)


# --- lifecycle ---------------------------------------------------------------------------------


class LifecycleListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/campaign_lifecycle.html"
    header_icon = "rotate"
    page_title = gettext_lazy("Lifecycle campaigns")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(
            (reverse("campaigns_admin:campaign_list"), _("Campaigns")), ("", _("Lifecycle campaigns"))
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaigns = _with_counts(
            Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE).select_related(
                "segment", "message", "gift_reward"
            )
        ).annotate(n_entered=Count("recipients"))
        order = {trigger: index for index, (trigger, _label) in enumerate(Campaign.Trigger.choices)}
        rows = sorted(campaigns, key=lambda campaign: order.get(campaign.trigger, len(order)))
        return {
            **super().get_context_data(**kwargs),
            "rows": [{"campaign": campaign, "report_url": report_url(campaign)} for campaign in rows],
        }


class LifecycleEditView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/campaign_lifecycle_form.html"
    header_icon = "rotate"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.campaign = get_object_or_404(Campaign, pk=kwargs["pk"], kind=Campaign.Kind.LIFECYCLE)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return self.campaign.name

    def get_page_subtitle(self) -> str:
        return str(self.campaign.get_trigger_display())

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(
            (reverse("campaigns_admin:campaign_lifecycle"), _("Lifecycle campaigns")),
            ("", self.campaign.name),
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = LifecycleForm(instance=self.campaign)
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = LifecycleForm(request.POST, instance=self.campaign)
        if not self.form.is_valid():
            return self.render_to_response(self.get_context_data(), status=400)
        campaign = campaign_save(campaign=self.form.save(commit=False), author=_staff(request))
        messages.success(request, _("“%(name)s” is saved.") % {"name": campaign.name})
        return redirect("campaigns_admin:campaign_lifecycle")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "form": self.form, "campaign": self.campaign}


@require_POST
def lifecycle_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk, kind=Campaign.Kind.LIFECYCLE)
    on = request.POST.get("on") == "1"
    lifecycle_switch(campaign=campaign, on=on)
    if on:
        messages.success(request, _("“%(name)s” is on.") % {"name": campaign.name})
    else:
        messages.success(request, _("“%(name)s” is off.") % {"name": campaign.name})
    return redirect("campaigns_admin:campaign_lifecycle")


campaign_list = campaigns_gate(CampaignListView.as_view())
campaign_new = campaigns_gate(CampaignFormView.as_view())
campaign_edit = campaigns_gate(CampaignFormView.as_view())
campaign_detail = campaigns_gate(CampaignDetailView.as_view())
campaign_progress_view = campaigns_gate(campaign_progress_json)
campaign_cancel_post = campaigns_gate(campaign_cancel_view)
campaign_lifecycle = campaigns_gate(LifecycleListView.as_view())
campaign_lifecycle_edit = campaigns_gate(LifecycleEditView.as_view())
campaign_lifecycle_toggle = campaigns_gate(lifecycle_toggle)
