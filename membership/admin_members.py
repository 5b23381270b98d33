"""The Wagtail admin's member list: Wagtail's own user views, plus tier and balances, a tier
filter, a link to adjust a member's points, and an inspect view with the member's retention
card (for those who may see retention figures) and a "Give a gift" button (for staff)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.widgets import Button
from wagtail.users.views.users import IndexView, UserFilterSet, UserViewSet

from .campaigns.access import can_send_campaigns
from .campaigns.admin_gifts import gift_new_url
from .insight.selectors import can_view_retention
from .insight.views import member_card
from .models import Tier


class TierFilter(django_filters.ModelChoiceFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        lowest = Tier.objects.order_by("threshold").first()
        if lowest is not None and value.pk == lowest.pk:
            # Members with no points yet have no standing row: they are in the first tier.
            return qs.filter(Q(standing__tier=value) | Q(standing__tier__isnull=True))
        return qs.filter(standing__tier=value)


class MemberFilterSet(UserFilterSet):
    tier = TierFilter(queryset=Tier.objects.order_by("threshold"), label=_("Tier"))

    class Meta(UserFilterSet.Meta):
        fields: list[str] = []


class MemberIndexView(IndexView):
    page_title = _("Members")

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("standing__tier")

    @cached_property
    def first_tier(self) -> Tier | None:
        return Tier.objects.order_by("threshold").first()

    @cached_property
    def columns(self):
        columns = list(super().columns)
        # Wagtail's name column shows first and last name, which members don't have.
        columns[1].accessor = lambda user: user.name
        # Room for three more columns: Wagtail's own widths add up to the full table.
        for column in columns:
            if column.name in {"username", "last_login"}:
                column.width = "12%"
            elif column.name in {"is_superuser", "is_active"}:
                column.width = "8%"
        standing = self._standing
        columns[3:3] = [
            Column(
                "tier",
                label=_("Tier"),
                # No standing row yet means no points yet: the first tier, as the filter says.
                accessor=lambda user: (standing(user) and standing(user).tier) or self.first_tier or "—",
                width="9%",
            ),
            Column(
                "status_points",
                label=_("Status points"),
                accessor=lambda user: standing(user).status_points if standing(user) else 0,
                sort_key="standing__status_points",
                width="9%",
            ),
            Column(
                "spendable_points",
                label=_("Spendable"),
                accessor=lambda user: standing(user).spendable_points if standing(user) else 0,
                sort_key="standing__spendable_points",
                width="9%",
            ),
        ]
        return columns

    @staticmethod
    def _standing(user):
        try:
            return user.standing
        except user.__class__.standing.RelatedObjectDoesNotExist:
            return None


class MemberInspectView(InspectView):
    template_name = "membership/admin/member_inspect.html"

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if can_send_campaigns(self.request.user):
            gift = Button(_("Give a gift"), url=gift_new_url(self.object), icon_name="tag", priority=30)
            buttons.append(gift)
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if can_view_retention(self.request.user):
            context["retention_card"] = member_card(member=self.object)
        return context


class MemberViewSet(UserViewSet):
    filterset_class = MemberFilterSet
    index_view_class = MemberIndexView
    menu_label = _("Members")
    inspect_view_enabled = True
    inspect_view_class = MemberInspectView
    inspect_view_fields = ["username", "email", "display_name", "is_active", "date_joined", "last_login"]
