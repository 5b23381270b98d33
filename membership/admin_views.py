"""Staff screens in the Wagtail admin that are not plain model listings: the manual points
adjustment, the review of flagged referrals and the loyalty dashboard panel (with the
retention headline for those who may see it)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import selectors
from .insight.selectors import can_view_retention
from .insight.views import dashboard_retention
from .models import Referral, User
from .services.points import InsufficientPoints, points_adjust
from .services.referrals import referral_review

ADJUST_PERMISSION = "membership.add_pointentry"
REVIEW_REFERRAL_PERMISSION = "membership.change_referral"


class AdjustmentForm(forms.Form):
    amount = forms.IntegerField(
        label=gettext_lazy("Points"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=gettext_lazy("Positive to add, negative to take away. Taking away cannot go below zero."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy("Required. The member sees it in their points history; the ledger keeps it."),
    )

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError(_("Enter a number of points other than zero."))
        return amount

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why; an adjustment without a reason cannot be audited."))
        return reason


class AdjustPointsView(WagtailAdminTemplateMixin, FormView):
    template_name = "membership/admin/adjust_points.html"
    form_class = AdjustmentForm
    header_icon = "pick"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(ADJUST_PERMISSION):
            raise PermissionDenied(_("You may not adjust members' points."))
        self.member = get_object_or_404(User, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Adjust points")

    def get_page_subtitle(self) -> str:
        return self.member.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailusers_users:index"), "label": _("Members")},
            {"url": "", "label": _("Adjust points for %(member)s") % {"member": self.member.name}},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            member=self.member,
            standing=selectors.member_standing(member=self.member),
            history=selectors.points_history(member=self.member, limit=10),
            action_url=self.request.path,
        )
        return context

    def form_valid(self, form):
        try:
            entry = points_adjust(
                member=self.member,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=self.request.user,
            )
        except InsufficientPoints as exc:
            form.add_error("amount", str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(amount)+d points for %(member)s, recorded in the ledger.")
            % {"amount": entry.amount, "member": self.member.name},
        )
        return redirect(self.request.path)


class ReferralReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve: a genuine friend; reward both when the order clears")),
            ("refuse", gettext_lazy("Refuse: no points for this referral")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=300,
        help_text=gettext_lazy("Required: why you decided so. Kept with the referral."),
    )


class ReviewReferralView(WagtailAdminTemplateMixin, FormView):
    template_name = "membership/admin/review_referral.html"
    form_class = ReferralReviewForm
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(REVIEW_REFERRAL_PERMISSION):
            raise PermissionDenied(_("You may not review referrals."))
        self.referral = get_object_or_404(
            Referral.objects.select_related("referrer", "friend", "order"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Review a flagged referral")

    def get_page_subtitle(self) -> str:
        return str(self.referral)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(referral=self.referral, action_url=self.request.path)
        return context

    def form_valid(self, form):
        try:
            with transaction.atomic():
                referral_review(
                    referral=self.referral,
                    approve=form.cleaned_data["decision"] == "approve",
                    actor=self.request.user,
                    note=form.cleaned_data["note"],
                )
        except (ValueError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Referral reviewed."))
        return redirect(reverse("wagtailsnippets_membership_referral:list") + "?state=flagged")


class LoyaltyPanel(Component):
    name = "loyalty"
    order = 150
    template_name = "membership/admin/loyalty_panel.html"

    class Media:
        css = {"all": ["membership/retention.css"]}

    def __init__(self, request) -> None:
        self.request = request

    def get_context_data(self, parent_context=None):
        context = {"overview": selectors.loyalty_overview(now=timezone.now()), "retention": None}
        # Retention figures (two queries, read from the last refresh) only for those who may see them.
        if can_view_retention(self.request.user):
            context["retention"] = dashboard_retention()
        return context
