"""Wagtail admin for the loyalty programme: tiers and earning rules (editable by staff) and
the points ledger (read only: entries are written by the points service alone)."""

from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import EarningRule, PointEntry, Redemption, Reward, Tier


class ViewOnlyPolicy(ModelPermissionPolicy):
    """Members of staff may look; nobody adds, edits or deletes through the admin."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class TierViewSet(SnippetViewSet):
    model = Tier
    icon = "pick"
    menu_label = _("Tiers")
    list_display = ["name", "threshold", "multiplier", "early_access", "vip_events"]
    ordering = ["threshold"]


class EarningRuleViewSet(SnippetViewSet):
    model = EarningRule
    icon = "success"
    menu_label = _("Earning rules")
    list_display = ["name", "key", "points", "per_currency_unit", "pending_days", "daily_cap", "active"]
    list_filter = ["active", "per_currency_unit"]
    search_fields = ["name", "key"]


class LedgerViewSet(SnippetViewSet):
    model = PointEntry
    icon = "list-ul"
    menu_label = _("Points ledger")
    list_display = ["created_at", "member", "amount", "kind", "state", "rule", "note"]
    list_filter = ["state", "kind", "rule"]
    search_fields = ["idempotency_key", "note", "member__username", "member__email"]
    list_export = ["created_at", "member", "amount", "kind", "state", "rule", "idempotency_key", "note"]
    export_filename = "points-ledger"
    inspect_view_enabled = True
    list_per_page = 100


class RewardViewSet(SnippetViewSet):
    model = Reward
    icon = "tag"
    menu_label = _("Rewards")
    list_display = ["name", "kind", "cost", "min_tier", "stock", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]


class RedemptionViewSet(SnippetViewSet):
    model = Redemption
    icon = "form"
    menu_label = _("Redemptions")
    list_display = ["created_at", "member", "reward", "coupon_code", "used_at"]
    search_fields = ["coupon_code", "member__username", "member__email"]
    inspect_view_enabled = True


class LoyaltyGroup(SnippetViewSetGroup):
    menu_label = _("Loyalty")
    menu_icon = "pick"
    menu_order = 260
    items = (TierViewSet, EarningRuleViewSet, RewardViewSet, RedemptionViewSet, LedgerViewSet)


# Registered for the model, so every admin view of the ledger (not only this viewset) is
# view-only.
register_permission_policy(PointEntry, ViewOnlyPolicy(PointEntry))
# Redemptions are made by members through the service; staff look them up.
register_permission_policy(Redemption, ViewOnlyPolicy(Redemption))
register_snippet(LoyaltyGroup)
